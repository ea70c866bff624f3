"""enforce: allow, deny or hold each call by the rule set.

A denial is answered here in the service's own error format (so SDKs raise
their ordinary error, naming the rule). An `approve` rule either holds the
flow (intercepted, visible in mitmweb) until a person decides or the hold
times out, or, in `queue` mode, answers at once that approval is needed and
lets the identical call through once a person has approved it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import urllib.request
from pathlib import Path

from mitmproxy import ctx, exceptions, hooks, http

from .approval import store as approvals
from .approval.control import ControlServer, Handlers
from .aws.call import Call
from .aws.errors import access_denied_code
from .config.approvers import Approvers, load_approvers
from .config.watched import Watched
from .flowrecord import RequestStage, answer_error, is_streamed, record
from .policy import decide, load_rules

log = logging.getLogger("chaperone")
DEFAULT_RULES = "rules/default.yaml"
UI_APPROVER = "mitmweb"  # who a resume or kill in mitmproxy's own UIs is recorded as
BUNDLED_RULES = Path(__file__).resolve().parents[1] / DEFAULT_RULES


def rules_path(path: str) -> str:
    """The rules file to load: the default name falls back to the bundled default rule set."""
    if path == DEFAULT_RULES and not Path(path).exists():
        return str(BUNDLED_RULES)
    return path


class Enforce(RequestStage):
    def __init__(self) -> None:
        self.rules = Watched("rule set", load_rules)
        self.approvers: Watched[Approvers] = Watched("approvers file", load_approvers)
        self.store = approvals.MemoryStore()
        self.events: dict[str, asyncio.Event] = {}
        self.control = ControlServer(Handlers(self._who, self._pending, self._decide))

    def load(self, loader) -> None:
        loader.add_option(
            "chaperone_rules", str, DEFAULT_RULES,
            "The rule set (YAML); the default falls back to the bundled rules/default.yaml.",
        )
        loader.add_option(
            "chaperone_approvers", str, "approvers.yaml",
            "Who may approve held calls over the control channel (names and tokens).",
        )
        loader.add_option(
            "chaperone_control", str, "127.0.0.1:8081",
            "Where the approvals control channel listens (HOST:PORT); empty turns it off.",
        )
        loader.add_option(
            "chaperone_webhook", str, "",
            "POST a JSON notice (with a Slack-compatible 'text') here when a call is held.",
        )
        loader.add_option(
            "chaperone_approval_window", int, 300,
            "Seconds an approved call's identical retries keep going through.",
        )

    def configure(self, updated) -> None:
        if "chaperone_rules" in updated:
            path = rules_path(ctx.options.chaperone_rules)
            try:
                if path:
                    self.rules.load(path)
            except Exception as e:  # noqa: BLE001 - never start on rules we cannot read
                raise exceptions.OptionsError(f"chaperone_rules: {e}") from e
        if "chaperone_approvers" in updated:
            path = ctx.options.chaperone_approvers
            if path and Path(path).exists():
                try:
                    self.approvers.load(path)
                except Exception as e:  # noqa: BLE001
                    raise exceptions.OptionsError(f"chaperone_approvers: {e}") from e
        if "chaperone_approval_window" in updated:
            self.store.retry_window = ctx.options.chaperone_approval_window
        if "chaperone_control" in updated and ctx.options.chaperone_control:
            _address(ctx.options.chaperone_control)

    async def running(self) -> None:
        if ctx.options.chaperone_control:
            host, port = _address(ctx.options.chaperone_control)
            try:
                await self.control.start(host, port)
            except OSError as e:
                log.error("chaperone: the approvals control channel cannot listen on %s:%d (%s); "
                          "held calls can still be decided in mitmweb", host, port, e.strerror)
                return
            if not self.approvers.value:
                log.warning("chaperone: no approvers file (%s): only mitmweb can decide held calls", ctx.options.chaperone_approvers)
            log.info("chaperone: approvals control channel on %s:%d", *self.control.address)

    async def done(self) -> None:
        await self.control.stop()

    async def process(self, flow: http.HTTPFlow) -> None:
        rec = record(flow)
        rules = self.rules.current()
        if not rec.get("aws"):
            if rules is not None:
                self._egress(flow, rules)
            return
        call = Call(**rec["call"])
        if call.unknown_reason:  # only a rule for unidentified calls may let it through
            call.operation = None
        if rules is None:
            rec["decision"] = {"action": "deny", "rule": None, "reason": "no rule set is loaded"}
            answer_error(flow, access_denied_code(call.service), "Denied by chaperone: no rule set is loaded, so every AWS call is denied.")
            return
        decision = decide(rules, call, rec.get("agent"), session=rec.get("session"))
        rec["decision"] = decision.to_record()
        rec["rules"] = rules.to_record()
        if decision.action == "allow":
            return
        if decision.action == "deny":
            answer_error(flow, access_denied_code(call.service), _denial_message(call, decision))
            return
        await self._approval(flow, call, decision)

    def _egress(self, flow, rules) -> None:
        decision = decide(rules, None, None, host=flow.request.pretty_host)
        if decision.action != "allow":
            record(flow)["decision"] = decision.to_record()
            flow.response = http.Response.make(
                403, f"chaperone: {decision.reason}\n".encode(), {"Content-Type": "text/plain"}
            )

    # -- approvals -------------------------------------------------------------

    async def _approval(self, flow: http.HTTPFlow, call: Call, decision) -> None:
        rec = record(flow)
        now = approvals.now()
        fp = approvals.fingerprint(rec.get("agent"), call.service, call.operation, call.params, _body_digest(flow))
        granted = self.store.approved(fp, now)
        if granted is not None:
            rec["approval"] = {"id": granted.id, "status": granted.status, "by": granted.decided_by, "reused": True}
            return
        settings = decision.approval or {}
        timeout = int(settings.get("timeout", 300))

        def make(approval_id: str) -> approvals.Approval:
            return approvals.Approval(
                id=approval_id, fingerprint=fp, agent=rec.get("agent"), service=call.service,
                operation=call.operation, region=call.region, params=call.params, rule=decision.rule,
                message=decision.message, mode=settings.get("mode", "hold"),
                approvers=list(settings.get("approvers", [])), created=now, expires=now + timeout,
            )

        try:
            approval, created = self.store.open(fp, make, now)
        except approvals.ApprovalError as e:
            answer_error(flow, access_denied_code(call.service), f"Denied by chaperone: {e}")
            return
        rec["approval"] = {"id": approval.id, "status": approval.status, "mode": approval.mode, "joined": not created}
        if created:
            self._notify(approval)
        if approval.mode == "queue":
            answer_error(flow, access_denied_code(call.service), (
                f"chaperone: {call.service}:{call.operation} needs approval {approval.id} "
                f"(rule '{decision.rule}': {decision.message}). Ask an approver to run "
                f"`chaperone approve {approval.id}`, then retry the same call within {timeout} s."
            ))
            return
        await self._hold(flow, call, approval)

    async def _hold(self, flow: http.HTTPFlow, call: Call, approval: approvals.Approval) -> None:
        rec = record(flow)
        event = self.events.setdefault(approval.id, asyncio.Event())
        flow.intercept()
        flow.comment = (
            f"HELD for approval {approval.id}: {approval.agent} wants {call.service}:{call.operation} "
            f"in {call.region} (rule '{approval.rule}': {approval.message}). Resume approves, kill denies."
        )
        ctx.master.addons.trigger(hooks.UpdateHook([flow]))
        try:
            await self._wait(flow, approval, event)
        finally:
            if flow.intercepted:
                flow.resume()
        approval = self.store.get(approval.id)
        rec["approval"].update(status=approval.status, by=approval.decided_by, reason=approval.reason, decided_at=approval.decided_at)
        flow.comment = f"{approval.status} by {approval.decided_by or 'nobody'}: {flow.comment}"
        if approval.status == approvals.APPROVED:
            return
        if approval.status == approvals.EXPIRED:
            why = f"nobody approved it within {int(approval.expires - approval.created)} s"
        else:
            why = f"{approval.decided_by} denied it" + (f": {approval.reason}" if approval.reason else "")
        answer_error(flow, access_denied_code(call.service), f"chaperone: {call.service}:{call.operation} was held for approval {approval.id} and {why}.")

    async def _wait(self, flow: http.HTTPFlow, approval: approvals.Approval, event: asyncio.Event) -> None:
        """Until someone decides or the hold times out. Resuming the flow in
        mitmweb (or mitmproxy's console) approves it and killing it denies it;
        their handlers change the flow without telling addons, so the hold
        looks at the flow, and at the store, twice a second."""
        while not event.is_set():
            left = approval.expires - approvals.now()
            if left <= 0:
                self.store.expire(approval.id, approvals.now())
                return
            try:
                await asyncio.wait_for(event.wait(), min(left, 0.5))
            except TimeoutError:
                pass
            if self.store.get(approval.id).status != approvals.PENDING:
                return  # decided elsewhere (another gateway sharing the store)
            if not event.is_set() and not flow.intercepted:
                killed = not flow.live
                if killed:
                    # A kill here means "deny": the agent gets a proper denial
                    # instead of a dropped connection it would wait out or retry.
                    flow.error, flow.live = None, True
                try:
                    self._decide(approval.id, not killed, UI_APPROVER, f"{'killed' if killed else 'resumed'} in mitmweb")
                except ValueError as e:
                    log.warning("chaperone: %s", e)
                    flow.intercept()  # not the UI's decision to make: keep holding
                    ctx.master.addons.trigger(hooks.UpdateHook([flow]))

    def _who(self, token: str) -> str | None:
        approvers = self.approvers.current()
        return approvers.who(token) if approvers else None

    def _pending(self) -> list[dict]:
        return [a.to_record() for a in self.store.pending(approvals.now())]

    def _decide(self, approval_id: str, approve: bool, by: str, reason: str | None) -> dict:
        try:
            approval = self.store.decide(approval_id, approve, by, reason, approvals.now())
        except approvals.ApprovalError as e:
            raise ValueError(str(e)) from e
        log.info("chaperone: approval %s %s by %s", approval_id, approval.status, by)
        event = self.events.pop(approval_id, None)
        if event is not None:
            event.set()
        return approval.to_record()

    def _notify(self, approval: approvals.Approval) -> None:
        url = ctx.options.chaperone_webhook
        if not url:
            return
        text = (
            f"chaperone: agent {approval.agent} wants {approval.service}:{approval.operation} in {approval.region} "
            f"({_brief(approval.params)}). Rule '{approval.rule}': {approval.message}. "
            f"Approve with `chaperone approve {approval.id}` or deny with `chaperone deny {approval.id} --reason ...`."
        )
        body = json.dumps({"text": text, "approval": approval.to_record()}, default=str).encode()
        asyncio.get_running_loop().create_task(_post(url, body))


async def _post(url: str, body: bytes) -> None:
    def send() -> None:
        req = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(req, timeout=5).close()

    try:
        await asyncio.to_thread(send)
    except Exception as e:  # noqa: BLE001 - a failing webhook never stops the gateway
        log.warning("chaperone: approval webhook %s failed: %s", url, e)


def _body_digest(flow: http.HTTPFlow) -> str:
    """What the body adds to a call's identity: an upload approved for one
    body must not admit another. A streamed body not known yet makes the
    call unique (its approval admits no retries)."""
    if is_streamed(flow):
        stated = flow.request.headers.get("x-amz-content-sha256", "")
        return stated if len(stated) == 64 else secrets.token_hex(16)
    return hashlib.sha256(flow.request.raw_content or b"").hexdigest()


def _address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise exceptions.OptionsError(f"chaperone_control: expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)



def _denial_message(call: Call, decision) -> str:
    what = f"{call.service}:{call.operation}" if call.operation else "this call"
    if decision.rule:
        return f"chaperone denied {what} by rule '{decision.rule}': {decision.message}"
    return f"chaperone denied {what}: {decision.message} (no rule allows it; default deny)"


def _brief(params: dict) -> str:
    return json.dumps({k: v for k, v in params.items() if isinstance(v, (str, int, float, bool))})[:200]
