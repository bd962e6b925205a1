"""TLS certificates of a site: fetched, verified, and explained when browsers would reject them."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.probes.http import CONNECT_TIMEOUT, ProbeError, tls_context, verify_text

# OpenSSL verify codes, in the words an on-call engineer needs.
_VERIFY_PROBLEMS = {
    9: "not yet valid",
    10: "expired",
    18: "self-signed",
    19: "untrusted",
    20: "untrusted",
    21: "untrusted",
    62: "wrong host",
    64: "wrong host",
}


@dataclass(frozen=True)
class CertInfo:
    """The peer certificate of a TLS endpoint, and whether it verified."""

    host: str
    port: int
    verified: bool
    problem: str | None = None  # expired, self-signed, untrusted, wrong host, not yet valid, ...
    detail: str = ""
    subject: str = ""
    issuer: str = ""
    names: tuple[str, ...] = ()
    not_after: dt.datetime | None = None
    tls_version: str | None = None

    def days_left(self, now: dt.datetime | None = None) -> float | None:
        if self.not_after is None:
            return None
        now = now or dt.datetime.now(dt.UTC)
        return (self.not_after - now).total_seconds() / 86400

    def explain(self) -> str:
        """Why the certificate does not verify, in one clause."""
        names = ", ".join(self.names[:4]) or self.subject or "another name"
        when = self.not_after.date().isoformat() if self.not_after else "an earlier date"
        if self.problem == "expired":
            return f"the certificate expired on {when}"
        if self.problem == "wrong host":
            return f"the certificate is for {names}, not {self.host}"
        if self.problem == "self-signed":
            return "the certificate is self-signed, so browsers reject it"
        if self.problem == "untrusted":
            by = f", {self.issuer}," if self.issuer else ""
            return f"the certificate's issuer{by} is not in the trusted CA bundle"
        if self.problem == "not yet valid":
            return "the certificate is not valid yet (check the server clock)"
        return f"the certificate does not verify ({self.detail})"


def fetch_certificate(host: str, port: int, ca_file: Path | None) -> CertInfo:
    """Connect, verify, and read the peer certificate (blocking: run it in a thread)."""
    ctx = tls_context(ca_file)
    where = f"{host}:{port}"
    try:
        with (
            _connect(host, port, where) as sock,
            ctx.wrap_socket(sock, server_hostname=host) as tls,
        ):
            return _from_peercert(host, port, tls.getpeercert() or {}, tls.version())
    except ssl.SSLCertVerificationError as exc:
        problem = _VERIFY_PROBLEMS.get(exc.verify_code or 0, "does not verify")
        detail = verify_text(exc)
    except TimeoutError:
        raise ProbeError(
            "tls", f"{where} accepted TCP but no TLS handshake completed in {CONNECT_TIMEOUT:g} s"
        ) from None
    except ssl.SSLError as exc:
        raise ProbeError("tls", f"the TLS handshake with {where} failed: {exc.reason}") from None
    except OSError as exc:
        raise ProbeError("tcp", f"{where}: {exc.strerror or exc}") from None
    # Re-fetch without verification only to say what is wrong; this never passes a check.
    try:
        der, version = _fetch_unverified(host, port)
        parsed = _parse_der(der)
    except (OSError, ValueError):
        parsed, version = {}, None
    return CertInfo(
        host=host,
        port=port,
        verified=False,
        problem=problem,
        detail=detail,
        tls_version=version,
        **parsed,
    )


def _connect(host: str, port: int, where: str) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except socket.gaierror as exc:
        raise ProbeError("dns", f"{host} does not resolve ({exc.strerror})") from None
    except ConnectionRefusedError:
        raise ProbeError("tcp", f"{where} refused the connection (nothing listens there)") from None
    except TimeoutError:
        raise ProbeError(
            "tcp", f"{where} did not accept a connection in {CONNECT_TIMEOUT:g} s"
        ) from None


def _fetch_unverified(host: str, port: int) -> tuple[bytes, str | None]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock,
        ctx.wrap_socket(sock, server_hostname=host) as tls,
    ):
        return tls.getpeercert(binary_form=True) or b"", tls.version()


def _name(rdns: Any) -> str:
    """The CN of an X.509 name (getpeercert form), else its organization."""
    flat = {k: v for rdn in rdns or () for k, v in rdn}
    return flat.get("commonName") or flat.get("organizationName") or ""


def _from_peercert(host: str, port: int, cert: Mapping[str, Any], version: str | None) -> CertInfo:
    not_after = None
    if cert.get("notAfter"):
        not_after = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), dt.UTC)
    return CertInfo(
        host=host,
        port=port,
        verified=True,
        subject=_name(cert.get("subject")),
        issuer=_name(cert.get("issuer")),
        names=tuple(v for _k, v in cert.get("subjectAltName", ())),
        not_after=not_after,
        tls_version=version,
    )


def _parse_der(der: bytes) -> dict[str, Any]:
    """Subject, issuer, names and expiry of a DER certificate (empty without `cryptography`)."""
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID
    except ImportError:
        return {}
    cert = x509.load_der_x509_certificate(der)

    def name(n: x509.Name) -> str:
        for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
            attrs = n.get_attributes_for_oid(oid)
            if attrs:
                return str(attrs[0].value)
        return n.rfc4514_string()

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(
            str(v)
            for v in (
                *san.get_values_for_type(x509.DNSName),
                *san.get_values_for_type(x509.IPAddress),
            )
        )
    except x509.ExtensionNotFound:
        names = ()
    return {
        "subject": name(cert.subject),
        "issuer": name(cert.issuer),
        "names": names,
        "not_after": cert.not_valid_after_utc,
    }


def cert_evidence(cert: CertInfo) -> dict[str, str]:
    """The certificate as ordered evidence lines."""
    out: dict[str, str] = {}
    if cert.subject:
        out["cert subject"] = cert.subject
    if cert.issuer:
        out["cert issuer"] = cert.issuer
    if cert.names:
        out["cert names"] = ", ".join(cert.names[:6])
    if cert.not_after:
        out["cert not after"] = cert.not_after.strftime("%Y-%m-%d %H:%M UTC")
        days = cert.days_left()
        if days is not None:
            out["days left"] = str(int(days)) if days >= 0 else f"expired {int(-days)} days ago"
    if cert.tls_version:
        out["tls version"] = cert.tls_version
    if not cert.verified:
        out["verify error"] = cert.detail
    return out
