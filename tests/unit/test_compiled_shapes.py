"""The compiled checkers and writers (the fast path of ``shapes.parse`` and ``shapes.serialize``)
agree with the generic passes on every input shape of the model: a valid body gives the same
parameters, and anything the generic passes would refuse is left to them."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.protocol import shapes
from tests.unit.test_protocol import MODEL, WHEN, operations, sample

ODD_VALUES: list[Any] = [
    None, "", "x" * 3000, "not a valid id", "é", 0, -1, 7, 2.0, 2.5, 10**12, True, False, [], {},
    [None], {"k": None}, {"": "v"}, ["a", None], {"a": {"b": None}},
]  # fmt: skip


def generic(shape: StructureShape, body: dict[str, Any]) -> tuple[str, Any]:
    """What the generic passes alone answer: ("ok", params) or ("error", code and message)."""
    try:
        params = shapes._coerce_structure(shape, body)
        problems = shapes.constraint_problems(shape, params)
    except ServiceError as error:
        return "error", (error.code, error.message)
    if problems:
        return "error", ("ValidationException", shapes.validation_message(problems))
    return "ok", params


def answer(shape: StructureShape, body: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", shapes.parse(shape, body)
    except ServiceError as error:
        return "error", (error.code, error.message)


def paths(shape: Shape, value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in ``value`` (a sample of ``shape``) where another value could go."""
    yield at
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                yield from paths(member, value[name], (*at, name))
    elif isinstance(shape, ListShape) and isinstance(value, list) and value:
        yield from paths(shape.member, value[0], (*at, 0))
    elif isinstance(shape, MapShape) and isinstance(value, dict) and value:
        key = next(iter(value))
        yield from paths(shape.value, value[key], (*at, key))


def put(body: Any, at: tuple[Any, ...], value: Any) -> Any:
    if not at:
        return value
    out = copy.deepcopy(body)
    holder = out
    for step in at[:-1]:
        holder = holder[step]
    holder[at[-1]] = value
    return out


def variants(op: OperationModel) -> Iterator[dict[str, Any]]:
    shape = op.input_shape
    assert isinstance(shape, StructureShape)
    valid = sample(shape)
    yield valid
    yield {}
    for name in shape.members:  # each member missing
        yield {k: v for k, v in valid.items() if k != name}
    for at in paths(shape, valid):
        if at:
            for odd in ODD_VALUES:
                yield put(valid, at, odd)
    rng = random.Random(op.name)
    places = list(paths(shape, valid))[1:]
    for _ in range(30 if places else 0):  # two odd values at once
        a, b = rng.choice(places), rng.choice(places)
        try:
            yield put(put(valid, a, rng.choice(ODD_VALUES)), b, rng.choice(ODD_VALUES))
        except (KeyError, IndexError, TypeError):
            continue  # the first odd value replaced what the second path goes through


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.name)
def test_parse_answers_what_the_generic_passes_answer(op: OperationModel) -> None:
    shape = op.input_shape
    assert isinstance(shape, StructureShape)
    fast = 0
    for body in variants(op):
        if not isinstance(body, dict):
            continue
        assert answer(shape, body) == generic(shape, body), body
        try:
            shapes._checker(shape)(body)
            fast += 1
        except shapes._Unexpected:
            pass
    assert fast > 0  # the valid sample, at least, takes the fast path


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.name)
def test_serialize_writes_what_the_generic_walk_writes(op: OperationModel) -> None:
    shape = op.output_shape
    if shape is None:
        return
    value = sample(shape)
    assert shapes.serialize(shape, value) == shapes._out(shape, value)


def test_a_timestamp_beside_nulls_and_unknown_members() -> None:
    shape = MODEL.operation_model("GetCredentialsForIdentity").output_shape
    assert shape is not None
    value = {
        "IdentityId": "us-east-1:x",
        "Credentials": {"AccessKeyId": "ASIA", "SessionToken": None, "Expiration": WHEN},
        "Unknown": 1,
    }
    written = shapes.serialize(shape, value)
    assert written == shapes._out(shape, value)
    assert written == {
        "IdentityId": "us-east-1:x",
        "Credentials": {"AccessKeyId": "ASIA", "Expiration": WHEN.timestamp()},
    }


def test_timestamps_written_in_turn_each_give_their_own_number() -> None:
    # The writer keeps the last datetime it wrote: alternating ones must not mix.
    shape = MODEL.operation_model("GetCredentialsForIdentity").output_shape
    assert shape is not None
    later = WHEN + timedelta(seconds=1, milliseconds=500)
    for when in (WHEN, WHEN, later, WHEN, later, later):
        value = {"Credentials": {"Expiration": when}}
        written = shapes.serialize(shape, value)
        assert written == shapes._out(shape, value)
        assert written["Credentials"]["Expiration"] == (
            int(when.timestamp()) if when.timestamp().is_integer() else when.timestamp()
        )
