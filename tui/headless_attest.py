"""``redpill-tui attest``: fetch the endpoint's attestation report with a fresh nonce and
verify it on its own (ACI: keyset digest, report_data, lifetime, the TDX quote with
dcap-qvl and its binding; a gateway without ACI: the legacy report's checks). Prints
every check, or one JSON object with ``--json``. Exit 0 when the report is verified,
3 when it is not, 1 when it cannot be fetched, 2 for bad usage."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any, TextIO

from .api.errors import APIError
from .config import Config, Endpoint, make_client
from .core.aci import check_lines
from .core.sanitize import neutralize
from .headless import EXIT_API, EXIT_OK, EXIT_UNVERIFIED, EXIT_USAGE, key_refused, redactor


async def attest(
    endpoint: Endpoint,
    cfg: Config,
    *,
    model: str | None = None,
    json_out: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    client_options: dict[str, Any] | None = None,
    quote_checker: Any = None,
) -> int:
    from .core.receipts import Attestor, default_attestor, report_summary

    out, err = out or sys.stdout, err or sys.stderr
    redact = redactor(endpoint)
    if key_refused(endpoint, err):
        return EXIT_USAGE
    client = make_client(endpoint, cfg, **(client_options or {}))
    async with client:
        attestor = Attestor(client, quote_checker) if quote_checker else default_attestor(client)
        try:
            rep = await attestor.report()
        except APIError as exc:
            if exc.status not in (404, 405):
                err.write(f"redpill-tui: {redact(neutralize(str(exc)))}\n")
                return EXIT_API
            return await _legacy(client, model, json_out, out, err, redact)
        except Exception as exc:  # a report we cannot read
            err.write(f"redpill-tui: the attestation report: {redact(neutralize(str(exc)))}\n")
            return EXIT_API
    quote = next((c for c in rep.checks if c.name == "TDX quote"), None)
    ok = attestor.cached is rep  # kept only when every check passed and the quote verified
    if json_out:
        doc = {
            "kind": "aci",
            "verified": ok,
            **report_summary(rep),
            "checks": [asdict(c) for c in rep.checks],
        }
        out.write(json.dumps(doc, ensure_ascii=True) + "\n")
    else:
        head = "attestation: verified" if ok else "attestation: NOT verified"
        if quote is not None and quote.result == "not done":
            head += f" (the TDX quote was not checked: {quote.detail})"
        lines = [head, f"generation {rep.generation} · nonce {rep.nonce}"]
        lines.append(f"keyset {rep.digest} · valid until {rep.not_after}")
        for key in ("repo_url", "repo_commit", "image_digest"):
            if rep.provenance.get(key):
                lines.append(f"{key}: {rep.provenance[key]}")
        lines += check_lines([asdict(c) for c in rep.checks], inputs=True, unknown="·")
        for line in lines:
            out.write(redact(neutralize(line)) + "\n")
    return EXIT_OK if ok else EXIT_UNVERIFIED


async def _legacy(
    client: Any, model: str | None, json_out: bool, out: TextIO, err: TextIO, redact: Any
) -> int:
    """A gateway without ``/aci/attestation``: the legacy report and its checks."""
    from .core.verify import fetch_attestation

    try:
        summary = await fetch_attestation(client, model or "")
    except (APIError, ValueError) as exc:
        err.write(f"redpill-tui: no attestation report: {redact(neutralize(str(exc)))}\n")
        return EXIT_API
    if json_out:
        doc = {
            "kind": "legacy",
            "verified": False,
            "shape": summary.shape,
            "nonce": summary.nonce,
            "checks": [{"name": n, "passed": p, "detail": d} for n, p, d in summary.checks],
            "not_checked": summary.not_checked,
        }
        out.write(json.dumps(doc, ensure_ascii=True) + "\n")
    else:
        out.write(f"attestation (legacy, {summary.shape}): not verified end to end\n")
        for line in summary.describe():
            out.write(redact(neutralize(line)) + "\n")
    # A legacy report's quote is not bound to a keyset we can check: never "verified".
    return EXIT_UNVERIFIED
