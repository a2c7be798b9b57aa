"""The next steps a person may take on a service request (what `s` in pane 4 offers), worked out by
hand from CONTRACTS.md "Service requests" for one type, status and role."""

from __future__ import annotations

import pytest

from ops_console.domain.service_requests import RequestAction, RequestStatus, RequestType, possible_steps
from ops_console.domain.types import Role

A = RequestAction


@pytest.mark.parametrize(("kind", "status", "role", "steps"), [
    (RequestType.REFUND, RequestStatus.REQUESTED, Role.CUSTOMER_SERVICE, [A.CONFIRM, A.DECLINE]),
    (RequestType.REFUND, RequestStatus.REQUESTED, Role.DISPATCHER, []),  # customer service confirms
    (RequestType.RETURN, RequestStatus.CONTACTED, Role.CUSTOMER_SERVICE, [A.PICKUP, A.DECLINE]),  # refund after
    (RequestType.RETURN, RequestStatus.PICKED_UP, Role.DISPATCHER, [A.REFUND]),
    (RequestType.EXCHANGE, RequestStatus.CONTACTED, Role.CUSTOMER_SERVICE, [A.PICKUP, A.EXCHANGE, A.DECLINE]),
    (RequestType.COMPLAINT, RequestStatus.CONTACTED, Role.CUSTOMER_SERVICE, [A.DECLINE, A.CLOSE]),
    (RequestType.REFUND, RequestStatus.CLOSED, Role.SUPERVISOR, []),
])
def test_possible_steps(kind: RequestType, status: RequestStatus, role: Role, steps: list[RequestAction]) -> None:
    assert possible_steps(kind, status, role) == steps
