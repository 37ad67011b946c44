"""SAML 2.0: a base64 ``SAMLResponse`` from the IdP of an IAM SAML provider.

What is checked, in order:

1. The value is base64 of an XML ``samlp:Response`` (no DTD, no entities, no network access while
   parsing) holding exactly one plain ``saml:Assertion`` (an ``EncryptedAssertion`` is not
   supported). Else **Choice** "Invalid login token. Not a valid SAML response.". A ``Status``
   other than ``Success`` gives **Choice** "Invalid login token. The SAML response status is
   <code>.".
2. The XML signature (signxml): either the ``Response`` or the ``Assertion`` must carry an
   enveloped ``ds:Signature`` made with the private key of a signing certificate in the IAM
   provider's metadata (``IDPSSODescriptor/KeyDescriptor`` with ``use="signing"`` or no ``use``;
   each one is tried). SHA-1 signatures and digests are refused (signxml's default). Only the XML
   the signature covers is read from then on (signxml's ``signed_xml``), which defeats signature
   wrapping. Else "Invalid login token. Couldn't verify signed token.".
3. The assertion's ``Issuer`` is the metadata's ``entityID``, else "Invalid login token. Issuer
   doesn't match providerName" (**Choice**: AWS's user pool wording).
4. ``Conditions``: every ``AudienceRestriction`` names ``urn:amazon:webservices``, the audience
   AWS requires of assertions for AWS (and at least one restriction exists), else **Choice**
   "Invalid login token. Incorrect token audience."; ``NotBefore`` not beyond ``now + skew``.
5. Expiry: ``Conditions/@NotOnOrAfter`` and each bearer ``SubjectConfirmationData/@NotOnOrAfter``
   must be after ``now - skew``; at least one of them must exist. Else "Invalid login token. Token
   expired: <now> >= <NotOnOrAfter>", in epoch **milliseconds**, as AWS prints it for SAML.
6. ``Subject/NameID`` is the user identifier ("Invalid login token. Missing a required claim:
   NameID" when absent).

**Not checked**: ``Destination`` and ``Recipient`` (they name the AWS sign-in URL the browser posted
to, which this server does not have); ``InResponseTo`` (identity pools take IdP-initiated
responses); one-time use of an assertion (AWS does not enforce it for identity pools either, as far
as is known). The metadata signing certificate's validity period is checked by signxml.

Roles: each value of the ``https://aws.amazon.com/SAML/Attributes/Role`` attribute is
``"<role ARN>,<provider ARN>"`` in either order; malformed values are skipped (**Choice**).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptography import x509
from lxml import etree
from signxml.exceptions import InvalidInput, SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from cognitoidentity.server.api.cognito_identity import NotAuthorizedException
from cognitoidentity.server.logins.base import (
    CLOCK_SKEW_SECONDS,
    COULD_NOT_VERIFY,
    INVALID_AUDIENCE,
    ISSUER_MISMATCH,
    MAX_TOKEN_CHARS,
    LoginIdentity,
    SamlProviderConfig,
    expired,
    missing_claim,
)

__all__ = [
    "AWS_AUDIENCES",
    "NOT_A_SAML_RESPONSE",
    "ROLE_ATTRIBUTE",
    "SamlMetadata",
    "SamlVerifier",
    "parse_metadata",
    "parse_xml",
]

AWS_AUDIENCES: Final = ("urn:amazon:webservices",)
ROLE_ATTRIBUTE: Final = "https://aws.amazon.com/SAML/Attributes/Role"
NOT_A_SAML_RESPONSE: Final = "Invalid login token. Not a valid SAML response."
SAMLP: Final = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML: Final = "urn:oasis:names:tc:SAML:2.0:assertion"
MD: Final = "urn:oasis:names:tc:SAML:2.0:metadata"
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
_NS: Final = {"samlp": SAMLP, "saml": SAML, "md": MD, "ds": DS}
_SUCCESS: Final = "urn:oasis:names:tc:SAML:2.0:status:Success"
_BEARER: Final = "urn:oasis:names:tc:SAML:2.0:cm:bearer"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no entity expansion, no DTD, no network; ``ValueError`` if refused."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise ValueError("DTDs are not accepted")
    if any(True for _ in root.iter(etree.Entity)):
        raise ValueError("entities are not accepted")
    return root


@dataclass(frozen=True, slots=True)
class SamlMetadata:
    entity_id: str
    certificates: tuple[x509.Certificate, ...]


def parse_metadata(document: str) -> SamlMetadata:
    """The IdP's ``entityID`` and signing certificates; ``ValueError`` when there are none."""
    root = parse_xml(document.encode())
    if root.tag == f"{{{MD}}}EntityDescriptor":
        entity = root
    else:
        found = root.find(".//md:EntityDescriptor", _NS)
        if found is None:
            raise ValueError("no EntityDescriptor in the SAML metadata")
        entity = found
    entity_id = entity.get("entityID") or ""
    certificates: list[x509.Certificate] = []
    for descriptor in entity.iterfind("md:IDPSSODescriptor/md:KeyDescriptor", _NS):
        if descriptor.get("use", "signing") != "signing":
            continue
        for element in descriptor.iterfind(".//ds:X509Certificate", _NS):
            text = "".join((element.text or "").split())
            try:
                certificates.append(x509.load_der_x509_certificate(base64.b64decode(text)))
            except (ValueError, binascii.Error):
                continue
    if not certificates:
        raise ValueError("no signing certificate in the SAML metadata")
    return SamlMetadata(entity_id, tuple(certificates))


def _instant(value: str | None) -> float | None:
    """An ``xs:dateTime`` as epoch seconds (UTC when no offset is given)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise NotAuthorizedException(NOT_A_SAML_RESPONSE) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _roles(values: list[str]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for value in values:
        parts = [part.strip() for part in value.split(",")]
        if len(parts) != 2:
            continue
        roles = [p for p in parts if ":role/" in p]
        providers = [p for p in parts if ":saml-provider/" in p]
        if len(roles) == 1 and len(providers) == 1:
            pairs.append((roles[0], providers[0]))
    return tuple(pairs)


class SamlVerifier:
    def __init__(
        self,
        provider_arn: str,
        config: SamlProviderConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider_arn
        self.config = config
        self.clock = clock

    async def verify(self, token: str) -> LoginIdentity:
        # XML parsing and RSA verification are CPU work: keep them off the event loop.
        return await asyncio.to_thread(self.verify_sync, token)

    def verify_sync(self, token: str) -> LoginIdentity:
        response = self._response(token)
        status = response.find("samlp:Status/samlp:StatusCode", _NS)
        if status is not None and status.get("Value") != _SUCCESS:
            raise NotAuthorizedException(
                f"Invalid login token. The SAML response status is {status.get('Value')}."
            )
        try:
            metadata = parse_metadata(self.config.metadata_document)
        except ValueError as exc:
            raise NotAuthorizedException(
                f"Invalid login token. The SAML provider's metadata is unusable: {exc}."
            ) from exc
        assertion = self._signed_assertion(token, response, metadata)
        issuer = assertion.findtext("saml:Issuer", namespaces=_NS)
        if (issuer or "").strip() != metadata.entity_id:
            raise NotAuthorizedException(ISSUER_MISMATCH)
        self._check_conditions(assertion)
        name_id = (assertion.findtext("saml:Subject/saml:NameID", namespaces=_NS) or "").strip()
        if not name_id:
            raise missing_claim("NameID")
        attributes: dict[str, list[str]] = {}
        for attribute in assertion.iterfind("saml:AttributeStatement/saml:Attribute", _NS):
            name = attribute.get("Name")
            if not name:
                continue
            values = attributes.setdefault(name, [])
            for value in attribute.iterfind("saml:AttributeValue", _NS):
                values.append("".join(value.itertext()).strip())
        claims: dict[str, object] = {
            name: values[0] if len(values) == 1 else values for name, values in attributes.items()
        }
        return LoginIdentity(
            provider=self.provider,
            user_id=name_id,
            claims=claims,
            amr=f"{self.provider}:{name_id}",
            mapping_keys=(self.provider,),
            roles_from_assertion=_roles(attributes.get(ROLE_ATTRIBUTE, [])),
        )

    def _response(self, token: str) -> etree._Element:
        if len(token) > MAX_TOKEN_CHARS:
            raise NotAuthorizedException(NOT_A_SAML_RESPONSE)
        try:
            data = base64.b64decode("".join(token.split()), validate=True)
            response = parse_xml(data)
        except (ValueError, binascii.Error) as exc:
            raise NotAuthorizedException(NOT_A_SAML_RESPONSE) from exc
        if response.tag != f"{{{SAMLP}}}Response":
            raise NotAuthorizedException(NOT_A_SAML_RESPONSE)
        if response.find("saml:EncryptedAssertion", _NS) is not None:
            raise NotAuthorizedException(
                "Invalid login token. Encrypted SAML assertions are not supported."
            )
        if len(response.findall("saml:Assertion", _NS)) != 1:
            raise NotAuthorizedException(NOT_A_SAML_RESPONSE)
        return response

    def _signed_assertion(
        self, token: str, response: etree._Element, metadata: SamlMetadata
    ) -> etree._Element:
        """The assertion as covered by a valid signature (never the unsigned XML)."""
        if response.find("ds:Signature", _NS) is not None:
            location = "./"
        elif response.find("saml:Assertion/ds:Signature", _NS) is not None:
            location = f"./{{{SAML}}}Assertion/"
        else:
            raise NotAuthorizedException(COULD_NOT_VERIFY)
        data = base64.b64decode("".join(token.split()))
        config = SignatureConfiguration(
            location=location,
            verification_time=datetime.fromtimestamp(self.clock(), UTC),
        )
        for certificate in metadata.certificates:
            try:
                result = XMLVerifier().verify(
                    data, x509_cert=certificate, parser=_parser(), expect_config=config
                )
            except (SignXMLException, InvalidInput, ValueError, etree.LxmlError):
                continue
            if isinstance(result, list):  # only with expect_references != 1
                continue
            signed = result.signed_xml
            if signed is None:
                continue
            if signed.tag == f"{{{SAML}}}Assertion":
                return signed
            if signed.tag == f"{{{SAMLP}}}Response":
                assertions = signed.findall("saml:Assertion", _NS)
                if len(assertions) == 1:
                    return assertions[0]
        raise NotAuthorizedException(COULD_NOT_VERIFY)

    def _check_conditions(self, assertion: etree._Element) -> None:
        now = self.clock()
        conditions = assertion.find("saml:Conditions", _NS)
        restrictions = (
            conditions.findall("saml:AudienceRestriction", _NS) if conditions is not None else []
        )
        if not restrictions or not all(
            any(
                (audience.text or "").strip() in AWS_AUDIENCES
                for audience in restriction.iterfind("saml:Audience", _NS)
            )
            for restriction in restrictions
        ):
            raise NotAuthorizedException(INVALID_AUDIENCE)
        ends: list[float] = []
        if conditions is not None:
            not_before = _instant(conditions.get("NotBefore"))
            if not_before is not None and not_before > now + CLOCK_SKEW_SECONDS:
                raise NotAuthorizedException(
                    f"Invalid login token. Token not yet valid: {int(now * 1000)}"
                    f" < {int(not_before * 1000)}"
                )
            end = _instant(conditions.get("NotOnOrAfter"))
            if end is not None:
                ends.append(end)
        for confirmation in assertion.iterfind("saml:Subject/saml:SubjectConfirmation", _NS):
            if confirmation.get("Method") != _BEARER:
                continue
            data = confirmation.find("saml:SubjectConfirmationData", _NS)
            end = _instant(data.get("NotOnOrAfter")) if data is not None else None
            if end is not None:
                ends.append(end)
        if not ends:
            raise missing_claim("NotOnOrAfter")
        earliest = min(ends)
        if now >= earliest + CLOCK_SKEW_SECONDS:
            raise expired(int(now * 1000), int(earliest * 1000))
