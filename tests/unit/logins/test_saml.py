"""SAML responses from a test IdP whose metadata is the IAM SAML provider's document."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from cognitoidentity.server.api.cognito_identity import NotAuthorizedException
from cognitoidentity.server.logins.base import CLOCK_SKEW_SECONDS
from cognitoidentity.server.logins.saml import parse_metadata
from cognitoidentity.server.store.base import IdentityPool
from tests.support.idp import SAML, SamlIdp, encode_saml
from tests.support.idp_harness import ACCOUNT, Clock, Harness, make_pool

ARN = f"arn:aws:iam::{ACCOUNT}:saml-provider/Corp"
ROLE_A = f"arn:aws:iam::{ACCOUNT}:role/Readers"
ROLE_B = f"arn:aws:iam::{ACCOUNT}:role/Writers"
COULD_NOT_VERIFY = "Invalid login token. Couldn't verify signed token."


@pytest.fixture(scope="module")
def idp() -> SamlIdp:
    return SamlIdp()


@pytest.fixture
def saml(idp: SamlIdp) -> tuple[Harness, IdentityPool]:
    harness = Harness()
    harness.directory.saml[(ACCOUNT, ARN)] = idp.config()
    return harness, make_pool(saml_arns=(ARN,))


def refused(harness: Harness, pool: IdentityPool, token: str) -> str:
    with pytest.raises(NotAuthorizedException) as info:
        harness.verify_one(pool, ARN, token)
    return info.value.message


@pytest.mark.parametrize("what", ["assertion", "response"])
def test_signed_response_gives_name_id_roles_and_attributes(
    what: str, idp: SamlIdp, saml: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = saml
    token = idp.response(
        what=what,
        name_id="ada@example.com",
        roles=(f"{ROLE_A},{ARN}", f"{ARN},{ROLE_B}", "malformed", f"{ROLE_A},{ROLE_B}"),
        attributes={
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": ["Ada"],
            "groups": ["eng", "ops"],
        },
    )
    identity = harness.verify_one(pool, ARN, token)
    assert identity.provider == ARN
    assert identity.user_id == "ada@example.com"
    assert identity.amr == f"{ARN}:ada@example.com"
    assert identity.mapping_keys == (ARN,)
    assert identity.roles_from_assertion == ((ROLE_A, ARN), (ROLE_B, ARN))
    assert identity.claims["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"] == "Ada"
    assert identity.claims["groups"] == ["eng", "ops"]


def test_response_with_whitespace_in_base64_is_accepted(
    idp: SamlIdp, saml: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = saml
    token = idp.response()
    wrapped = "\n".join(token[i : i + 76] for i in range(0, len(token), 76))
    assert harness.verify_one(pool, ARN, wrapped).user_id == "ada@example.com"


def test_signature_by_another_key_is_refused(
    idp: SamlIdp, saml: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = saml
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = encode_saml(idp.sign(idp.response_xml(), key=other))
    assert refused(harness, pool, token) == COULD_NOT_VERIFY


def test_modified_signed_assertion_is_refused(
    idp: SamlIdp, saml: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = saml
    signed = idp.sign(idp.response_xml(name_id="ada@example.com"))
    name_id = signed.find(f".//{{{SAML}}}NameID")
    assert name_id is not None
    name_id.text = "admin@example.com"
    assert refused(harness, pool, encode_saml(signed)) == COULD_NOT_VERIFY


def test_unsigned_response_is_refused(idp: SamlIdp, saml: tuple[Harness, IdentityPool]) -> None:
    harness, pool = saml
    assert refused(harness, pool, encode_saml(idp.response_xml())) == COULD_NOT_VERIFY


def test_signature_wrapping_uses_only_the_signed_assertion(
    idp: SamlIdp, saml: tuple[Harness, IdentityPool]
) -> None:
    """XSW: a forged assertion placed before the signed one, or a second assertion beside it, is
    never read."""
    harness, pool = saml
    signed = idp.sign(idp.response_xml(name_id="ada@example.com"))
    assertion = signed.find(f"{{{SAML}}}Assertion")
    assert assertion is not None
    evil = copy.deepcopy(assertion)
    for sig in evil.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        evil.remove(sig)
    evil_name = evil.find(f".//{{{SAML}}}NameID")
    assert evil_name is not None
    evil_name.text = "admin@example.com"
    evil.set("ID", "_evil")
    signed.insert(list(signed).index(assertion), evil)
    assert refused(harness, pool, encode_saml(signed)) == (
        "Invalid login token. Not a valid SAML response."
    )
    # The signed assertion moved inside the forged one (so the forged one is the only child).
    wrapper = copy.deepcopy(evil)
    signed.remove(evil)
    signed.replace(assertion, wrapper)
    wrapper_extensions = etree.SubElement(wrapper, f"{{{SAML}}}Advice")
    wrapper_extensions.append(assertion)
    assert refused(harness, pool, encode_saml(signed)) == COULD_NOT_VERIFY


def test_expired_assertion_message_in_milliseconds(
    idp: SamlIdp, saml: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = saml
    now = datetime.now(UTC).replace(microsecond=0)
    ends = now - timedelta(seconds=CLOCK_SKEW_SECONDS)
    harness.clock.now = now.timestamp()
    token = idp.response(now=now - timedelta(hours=1), not_on_or_after=ends)
    assert refused(harness, pool, token) == (
        f"Invalid login token. Token expired: {int(now.timestamp() * 1000)}"
        f" >= {int(ends.timestamp() * 1000)}"
    )
    # One second earlier it is within the skew.
    harness.clock.now = now.timestamp() - 1
    assert harness.verify_one(pool, ARN, token).user_id


def test_not_yet_valid_assertion_is_refused(
    idp: SamlIdp, saml: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = saml
    now = datetime.now(UTC).replace(microsecond=0)
    harness.clock.now = now.timestamp()
    starts = now + timedelta(seconds=CLOCK_SKEW_SECONDS + 1)
    token = idp.response(not_before=starts, not_on_or_after=starts + timedelta(minutes=5))
    assert refused(harness, pool, token).startswith("Invalid login token. Token not yet valid: ")


def test_wrong_audience_is_refused(idp: SamlIdp, saml: tuple[Harness, IdentityPool]) -> None:
    harness, pool = saml
    token = idp.response(audience="https://app.example.com/")
    assert refused(harness, pool, token) == "Invalid login token. Incorrect token audience."


def test_wrong_issuer_is_refused(idp: SamlIdp, saml: tuple[Harness, IdentityPool]) -> None:
    harness, pool = saml
    token = idp.response(issuer="https://other-idp.example.com")
    assert refused(harness, pool, token) == (
        "Invalid login token. Issuer doesn't match providerName"
    )


def test_not_base64_or_not_saml_is_refused(saml: tuple[Harness, IdentityPool]) -> None:
    harness, pool = saml
    for token in (
        "%%%not base64%%%",
        base64.b64encode(b"<html/>").decode(),
        base64.b64encode(b"not xml").decode(),
    ):
        assert refused(harness, pool, token) == "Invalid login token. Not a valid SAML response."


def test_entities_and_dtds_are_refused(idp: SamlIdp, saml: tuple[Harness, IdentityPool]) -> None:
    harness, pool = saml
    xml = etree.tostring(idp.sign(idp.response_xml())).decode()
    bomb = '<!DOCTYPE samlp:Response [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>' + xml
    external = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + xml
    for document in (bomb, external):
        token = base64.b64encode(document.encode()).decode()
        assert refused(harness, pool, token) == "Invalid login token. Not a valid SAML response."


def test_unknown_saml_provider_is_unsupported(idp: SamlIdp) -> None:
    harness = Harness()  # the directory does not know the ARN
    pool = make_pool(saml_arns=(ARN,))
    with pytest.raises(NotAuthorizedException, match="not from a supported provider"):
        harness.verify_one(pool, ARN, idp.response())


def test_metadata_without_signing_certificate_is_refused(idp: SamlIdp) -> None:
    harness = Harness()
    metadata = idp.metadata().replace('use="signing"', 'use="encryption"')
    harness.directory.saml[(ACCOUNT, ARN)] = type(idp.config())(metadata)
    pool = make_pool(saml_arns=(ARN,))
    with pytest.raises(NotAuthorizedException, match="metadata is unusable"):
        harness.verify_one(pool, ARN, idp.response())


def test_metadata_parsing(idp: SamlIdp) -> None:
    metadata = parse_metadata(idp.metadata())
    assert metadata.entity_id == idp.entity_id
    assert [c.serial_number for c in metadata.certificates] == [idp.cert.serial_number]


def test_rotated_metadata_with_two_certificates(saml: tuple[Harness, IdentityPool]) -> None:
    harness, pool = saml
    old, new = SamlIdp(), SamlIdp()
    both = old.metadata().replace(
        "</md:IDPSSODescriptor>",
        new.metadata()[
            new.metadata().index("<md:KeyDescriptor") : new.metadata().index(
                "<md:SingleSignOnService"
            )
        ]
        + "</md:IDPSSODescriptor>",
    )
    harness.directory.saml[(ACCOUNT, ARN)] = type(old.config())(both)
    assert harness.verify_one(pool, ARN, old.response()).user_id
    assert harness.verify_one(pool, ARN, new.response()).user_id


def test_clock_is_injected(idp: SamlIdp, saml: tuple[Harness, IdentityPool]) -> None:
    harness, pool = saml
    token = idp.response()
    harness.clock = Clock(datetime.now(UTC).timestamp() + 3600)
    assert refused(harness, pool, token).startswith("Invalid login token. Token expired: ")
