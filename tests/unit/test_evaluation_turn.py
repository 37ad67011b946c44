"""The decision endpoint's evaluations, run together at the end of the event loop's turn that
asked for them (``decisions.EvaluationTurn``): each request gets its own decision, exactly what
the engine decides alone, and one request's failure stays its own."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from cognitoidentity.server.decisions import EvaluationTurn
from cognitoidentity.server.policy import Decision, Request, evaluate, parse_policy

POLICY = parse_policy(
    json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
                }
            ],
        }
    ),
    kind="identity",
)


def request(team: str, key: str) -> Request:
    return Request("s3:GetObject", f"arn:aws:s3:::b/{key}", {"aws:PrincipalTag/team": team})


def test_the_evaluations_of_a_turn_run_together_when_it_ends() -> None:
    asyncio.run(_the_evaluations_of_a_turn_run_together())


async def _the_evaluations_of_a_turn_run_together() -> None:
    turn = EvaluationTurn()
    asked = [
        turn.evaluate(request("eng", "eng/a"), [POLICY], None, None),
        turn.evaluate(request("eng", "ops/a"), [POLICY], None, None),
        turn.evaluate(request("ops", "ops/a"), [POLICY], None, [POLICY]),
    ]
    assert not any(decided.done() for decided in asked)  # nothing decided while being asked
    await asyncio.sleep(0)  # the end of this turn
    assert all(decided.done() for decided in asked)  # all of them, in the same batch
    decisions = await asyncio.gather(*asked)
    assert [d.outcome for d in decisions] == ["allowed", "implicitDeny", "allowed"]
    for decision, alone in zip(
        decisions,
        [
            evaluate(request("eng", "eng/a"), [POLICY]),
            evaluate(request("eng", "ops/a"), [POLICY]),
            evaluate(request("ops", "ops/a"), [POLICY], boundary=[POLICY]),
        ],
        strict=True,
    ):
        assert (decision.outcome, decision.explanation) == (alone.outcome, alone.explanation)
    # The next turn starts a batch of its own.
    assert (await turn.evaluate(request("eng", "eng/b"), [POLICY], None, None)).allowed


def test_a_failing_evaluation_fails_its_own_request_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import cognitoidentity.server.decisions as decisions

    def evaluate_or_fail(req: Request, policies: Any, **kwargs: Any) -> Decision:
        if req.resource.endswith("/boom"):
            raise RuntimeError("boom")
        return evaluate(req, policies, **kwargs)

    monkeypatch.setattr(decisions, "evaluate", evaluate_or_fail)
    asyncio.run(_a_failing_evaluation())


async def _a_failing_evaluation() -> None:
    turn = EvaluationTurn()
    failing = turn.evaluate(request("eng", "eng/boom"), [POLICY], None, None)
    cancelled = turn.evaluate(request("eng", "eng/c"), [POLICY], None, None)
    fine = turn.evaluate(request("eng", "eng/a"), [POLICY], None, None)
    cancelled.cancel()  # its request went away: skipped, the others still decided
    with pytest.raises(RuntimeError, match="boom"):
        await failing
    assert (await fine).allowed
    assert cancelled.cancelled()
