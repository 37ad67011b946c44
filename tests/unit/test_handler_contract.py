"""Every registered operation handler is typed with its model's input and output shapes: the
generated TypedDict named after the input shape, and the one named after the output shape (None
for operations without output). A handler written against the wrong shape fails here."""

from __future__ import annotations

import typing

import pytest

from cognitoidentity.server.protocol.json_rpc import load_service_model
from cognitoidentity.server.services import REGISTERED

CASES = [
    pytest.param(registration.model, name, handler, id=f"{registration.model}:{name}")
    for registration in REGISTERED
    for name, handler in registration.handlers.items()
]


def _name(annotation: object) -> str | None:
    if annotation is None or annotation is type(None):
        return None
    name = getattr(annotation, "__name__", None)
    assert isinstance(name, str), f"not a named type: {annotation!r}"
    return name


@pytest.mark.parametrize(("service", "operation", "handler"), CASES)
def test_handler_annotations_match_the_model(
    service: str, operation: str, handler: typing.Callable[..., object]
) -> None:
    model = load_service_model(service)
    assert operation in model.operation_names
    op = model.operation_model(operation)
    hints = typing.get_type_hints(handler)
    params = [name for name in hints if name != "return"]
    assert len(params) == 2, hints
    assert _name(hints[params[1]]) == (op.input_shape.name if op.input_shape else None)
    assert _name(hints["return"]) == (op.output_shape.name if op.output_shape else None)


def test_every_service_registers_operations() -> None:
    assert [r.model for r in REGISTERED] == ["cognito-identity", "sts", "iam"]
    assert len(REGISTERED[0].handlers) == 23
