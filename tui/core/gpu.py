"""GPU evidence in legacy attestation reports, and an opt-in check of it with NVIDIA.

A legacy report carries ``nvidia_payload``: ``{"nonce", "arch", "evidence_list": [{"certificate",
"evidence", "arch"}, …]}``, one entry per GPU (Chutes reports name the list ``gpu_evidence``).
Reading it is local. Checking it means sending it to NVIDIA's remote attestation service
(NRAS), a third party, so :func:`check_with_nras` runs only when the user asks, sends the
payload and nothing else (no API key, no cookies), and never raises.

NRAS answers with JWTs. Its signing keys are not documented, so, like the existing verifiers,
we read the tokens' claims WITHOUT checking their signature, and say so (:data:`UNSIGNED`).
Everything the server says is untrusted: strings are bounded here and neutralised by the UI.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

NRAS_URL = "https://nras.attestation.nvidia.com/v3/attest/gpu"
MAX_RESPONSE = 1024 * 1024  # NRAS answers with a few KiB of tokens; refuse anything huge
UNSIGNED = "the token's signature is not checked"
SHOWN_CLAIMS = ("iss", "sub", "eat_nonce", "x-nvidia-ver")
OVERALL = "x-nvidia-overall-att-result"


def nras_url() -> str:
    """The service's address; ``REDPILL_TUI_NRAS_URL`` overrides it (tests use loopback)."""
    return os.environ.get("REDPILL_TUI_NRAS_URL") or NRAS_URL


def _cut(value: Any, limit: int = 200) -> str:
    """A bounded string for display: server text can be arbitrarily long."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class GpuEvidence:
    """What the payload says, read locally; nothing here is verified."""

    readable: bool
    detail: str = ""
    gpus: int = 0
    archs: list[str] = field(default_factory=list)
    nonce: str | None = None  # the payload's nonce (bounded)
    nonce_matches: bool | None = None  # None when we had no nonce to compare
    placeholder: bool = False  # a readable payload with an empty evidence list

    @property
    def has_evidence(self) -> bool:
        return self.readable and self.gpus > 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"has_evidence": self.has_evidence}


def _parsed(payload: Any) -> dict[str, Any] | None:
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except ValueError:
            return None
    return payload if isinstance(payload, dict) else None


def gpu_evidence(payload: Any, nonce: str | None) -> GpuEvidence:
    """Read ``nvidia_payload`` (a JSON string or a dict): GPUs, archs, and whether its nonce
    is ours. Junk gives ``readable=False`` with a reason, never an exception."""
    doc = _parsed(payload)
    if doc is None:
        return GpuEvidence(False, "the GPU payload is not a JSON object")
    key = "evidence_list" if "evidence_list" in doc else "gpu_evidence"
    entries = doc.get(key)
    if not isinstance(entries, list):
        return GpuEvidence(False, "the GPU payload has no evidence list")
    for i, e in enumerate(entries):
        if not (
            isinstance(e, dict)
            and isinstance(e.get("evidence"), str)
            and isinstance(e.get("certificate"), str)
        ):
            return GpuEvidence(False, f"GPU evidence entry {i + 1} lacks evidence or certificate")
    archs: list[str] = []
    for a in [doc.get("arch"), *(e.get("arch") for e in entries)]:
        if isinstance(a, str) and _cut(a, 32) not in archs and len(archs) < 8:
            archs.append(_cut(a, 32))
    theirs = doc.get("nonce") if isinstance(doc.get("nonce"), str) else None
    matches = None if not nonce else bool(theirs) and theirs.lower() == nonce.lower()
    return GpuEvidence(
        readable=True,
        detail="no GPU evidence (empty evidence list)" if not entries else "",
        gpus=len(entries),
        archs=archs,
        nonce=_cut(theirs, 128) if theirs is not None else None,
        nonce_matches=matches,
        placeholder=not entries,
    )


@dataclass
class GpuClaims:
    """One GPU's token: its ``measres`` and which boolean claims were true or false."""

    gpu: str
    measres: str | None = None
    true: int = 0
    false: list[str] = field(default_factory=list)


@dataclass
class NrasResult:
    outcome: str  # "passed" | "failed" | "error"
    detail: str
    url: str
    status: int | None = None
    claims: dict[str, str] = field(default_factory=dict)  # SHOWN_CLAIMS found, bounded
    gpus: list[GpuClaims] = field(default_factory=list)
    signature_checked: bool = False  # never: the JWKS is not documented

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _claims(token: Any) -> dict[str, Any] | None:
    """A JWT's payload segment, base64url-decoded, WITHOUT checking the signature."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    seg = token.split(".")[1]
    try:
        doc = json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))
    except (ValueError, TypeError):
        return None
    return doc if isinstance(doc, dict) else None


def _gpu(gpu_id: Any, token: Any) -> GpuClaims:
    c = _claims(token) or {}
    out = GpuClaims(_cut(gpu_id, 64))
    out.measres = _cut(c["measres"], 64) if "measres" in c else None
    for k, v in list(c.items())[:200]:
        if v is True:
            out.true += 1
        elif v is False and len(out.false) < 20:
            out.false.append(_cut(k, 80))
    return out


def _read(body: bytes, url: str) -> NrasResult:
    """``[["JWT", overall], {gpu id: token, …}]`` into a result; any other shape: error."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    head = doc[0] if isinstance(doc, list) and doc else None
    overall = _claims(head[1]) if isinstance(head, list) and len(head) == 2 else None
    if overall is None:
        return NrasResult("error", "NVIDIA's answer is not in the expected shape", url, 200)
    per_gpu = doc[1] if len(doc) > 1 and isinstance(doc[1], dict) else {}
    result = NrasResult(
        "error",
        "",
        url,
        200,
        claims={k: _cut(overall[k]) for k in SHOWN_CLAIMS if k in overall},
        gpus=[_gpu(k, v) for k, v in list(per_gpu.items())[:16]],
    )
    verdict = overall.get(OVERALL)
    if verdict is True:
        result.outcome, result.detail = "passed", f"NVIDIA's overall result is true ({UNSIGNED})"
    elif verdict is False:
        result.outcome, result.detail = "failed", f"NVIDIA's overall result is false ({UNSIGNED})"
    else:
        result.detail = f"NVIDIA's token has no boolean {OVERALL} claim"
    return result


async def check_with_nras(payload: Any, *, timeout: float = 30) -> NrasResult:
    """POST the parsed payload, unchanged, to NRAS (a third party) and read its verdict.
    Sends nothing else; a payload with no GPU evidence is not sent at all."""
    url = nras_url()
    doc = _parsed(payload)
    if doc is None or not gpu_evidence(doc, None).has_evidence:
        return NrasResult("error", "no readable GPU evidence; nothing was sent", url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    headers |= {"Accept-Encoding": "identity", "User-Agent": "redpill-tui"}
    try:
        # trust_env=False: no .netrc credentials or env settings; no redirects followed.
        async with (
            httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False) as c,
            c.stream("POST", url, content=json.dumps(doc).encode(), headers=headers) as r,
        ):
            body = bytearray()
            async for chunk in r.aiter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE:
                    return NrasResult("error", "NVIDIA's answer is over 1 MiB; not read", url)
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        return NrasResult("error", f"could not reach NVIDIA's service ({type(exc).__name__})", url)
    if r.status_code != 200:
        note = " (it may need an API key)" if r.status_code in (401, 403) else ""
        return NrasResult(
            "error", f"NVIDIA's service answered HTTP {r.status_code}{note}", url, r.status_code
        )
    return _read(bytes(body), url)
