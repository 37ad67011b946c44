"""Errors: one root type carrying code, message, status and the parsed body, a subclass per code,
and the seed's text ``"<Code> (HTTP <status>). <message>"``."""

from __future__ import annotations

import pickle

import pytest
from botocore.model import ServiceModel

import cognitoidentity as ci
from cognitoidentity import (
    CognitoIdentity,
    CognitoIdentityError,
    InvalidSignatureException,
    ResourceNotFoundException,
    UnrecognizedClientException,
    ValidationException,
    _models,
    cognitoidentity,
)
from tests.client.conftest import Recorder
from tests.support.server import REGION, Credentials, ServerProcess

MISSING_POOL = "us-east-1:00000000-0000-4000-8000-000000000000"


def test_a_modelled_error_from_the_server(svc: CognitoIdentity) -> None:
    with pytest.raises(svc.exceptions.ResourceNotFoundException) as exc:
        svc.describe_identity_pool(IdentityPoolId=MISSING_POOL)
    error = exc.value
    assert type(error) is ResourceNotFoundException
    assert isinstance(error, CognitoIdentityError)
    assert error.code == "ResourceNotFoundException"
    assert error.message == f"IdentityPool '{MISSING_POOL}' not found."
    assert error.status_code == 400
    assert error.error_response == {
        "__type": "ResourceNotFoundException",
        "message": f"IdentityPool '{MISSING_POOL}' not found.",
    }
    assert error.operation == "DescribeIdentityPool"
    assert error.request_id
    assert str(error) == (
        f"ResourceNotFoundException (HTTP 400). IdentityPool '{MISSING_POOL}' not found."
    )
    assert repr(error).startswith("ResourceNotFoundException(code='ResourceNotFoundException'")


def test_front_end_errors_from_the_server(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    with pytest.raises(ValidationException) as invalid:
        svc.list_identity_pools(MaxResults=61)  # botocore checks the minimum only
    assert invalid.value.code == "ValidationException"
    assert "maxResults" in invalid.value.message or "MaxResults" in invalid.value.message
    assert str(invalid.value).startswith("ValidationException (HTTP 400). ")

    wrong_secret = cognitoidentity(
        credentials={"creds": {"access_key_id": account.access_key_id, "secret_access_key": "x"}},
        endpoint=server.url,
        region=REGION,
    )
    with pytest.raises(InvalidSignatureException) as bad_signature:
        wrong_secret.list_identity_pools(MaxResults=1)
    assert bad_signature.value.status_code in (400, 403)

    unknown_key = cognitoidentity(
        credentials={"creds": {"access_key_id": "AKIAUNKNOWNKEY000000", "secret_access_key": "x"}},
        endpoint=server.url,
        region=REGION,
    )
    with pytest.raises(UnrecognizedClientException):
        unknown_key.list_identity_pools(MaxResults=1)


def test_an_unknown_code_raises_the_root_class(recorder: Recorder) -> None:
    recorder.answer(400, {"__type": "BrandNewException", "Message": "something new"})
    svc = cognitoidentity(credentials={"anonymous": True}, endpoint=recorder.url, region=REGION)
    with pytest.raises(CognitoIdentityError) as exc:
        svc.get_id(IdentityPoolId=MISSING_POOL)
    assert type(exc.value) is CognitoIdentityError
    assert (exc.value.code, exc.value.message, exc.value.status_code) == (
        "BrandNewException",
        "something new",
        400,
    )
    assert exc.value.error_response == {"__type": "BrandNewException", "Message": "something new"}
    assert exc.value.request_id == "req-1"


def test_a_body_without_a_code_is_unknown_error(recorder: Recorder) -> None:
    recorder.answer(403, b"<html>Forbidden</html>")
    svc = cognitoidentity(credentials={"anonymous": True}, endpoint=recorder.url, region=REGION)
    with pytest.raises(CognitoIdentityError) as exc:
        svc.get_id(IdentityPoolId=MISSING_POOL)
    assert exc.value.code == "UnknownError"
    assert exc.value.status_code == 403
    assert exc.value.error_response == {}
    assert str(exc.value) == "UnknownError (HTTP 403). <html>Forbidden</html>"


def test_a_namespaced_type_maps_to_its_class(recorder: Recorder) -> None:
    recorder.answer(
        400, {"__type": "com.amazonaws.cognito.identity#ResourceNotFoundException", "message": "m"}
    )
    svc = cognitoidentity(credentials={"anonymous": True}, endpoint=recorder.url, region=REGION)
    with pytest.raises(ResourceNotFoundException):
        svc.get_id(IdentityPoolId=MISSING_POOL)


def test_a_class_per_modelled_code_on_the_module_and_the_client() -> None:
    raw = _models.load("cognito-identity")
    model = ServiceModel(raw, "cognito-identity")
    svc = cognitoidentity(region=REGION)
    for shape in model.error_shapes:
        cls = getattr(ci, shape.name)
        assert getattr(svc.exceptions, shape.name) is cls
        assert issubclass(cls, CognitoIdentityError)
        assert cls.code == shape.name
        assert cls.__module__ == "cognitoidentity"
        assert cls.default_status_code == (500 if raw["shapes"][shape.name].get("fault") else 400)
    for name in (
        "ValidationException",
        "SerializationException",
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "ExpiredTokenException",
        "AccessDeniedException",
        "UnknownOperationException",
        "ThrottlingException",
        "InternalFailure",
    ):
        assert getattr(svc.exceptions, name) is getattr(ci, name)
        assert getattr(ci, name).code == name


def test_errors_can_be_made_and_pickled() -> None:
    error = ResourceNotFoundException(
        "gone", status_code=400, error_response={"__type": "ResourceNotFoundException"}
    )
    assert str(error) == "ResourceNotFoundException (HTTP 400). gone"
    assert ci.InternalErrorException("boom").status_code == 500
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is ResourceNotFoundException
    assert (back.code, back.message, back.status_code, back.error_response) == (
        "ResourceNotFoundException",
        "gone",
        400,
        {"__type": "ResourceNotFoundException"},
    )
