"""age recipients (public keys) and identities (private keys) for encrypted dumps, via pyrage."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from launchtui.core.actions import ActionError

_SSH_PREFIXES = ("ssh-ed25519 ", "ssh-rsa ")
_MAX_IDENTITY_FILE = 1 << 20


def parse_recipients(texts: Sequence[str]) -> list[Any]:
    """pyrage recipients for `age1...` X25519 keys and SSH public keys; ActionError if bad."""
    import pyrage

    out = []
    for raw in texts:
        text = raw.strip()
        if text.upper().startswith("AGE-SECRET-KEY-") or "PRIVATE KEY" in text:
            # Never echo it: this is the key that decrypts every backup.
            raise ActionError(
                "--encrypt-to was given a private key (an age identity); it takes the public "
                "key, age1... (`age-keygen -y key.txt` prints it), never a private key. Keep "
                "the private key off this machine if you can, and rotate it if it was shared."
            )
        try:
            if text.startswith(_SSH_PREFIXES):
                out.append(pyrage.ssh.Recipient.from_str(text))
            elif text.startswith("age1"):
                out.append(pyrage.x25519.Recipient.from_str(text))
            else:
                raise ValueError("neither age1... nor an SSH public key")
        except (ValueError, pyrage.RecipientError) as exc:
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise ActionError(
                f"--encrypt-to {shown!r} is not an age recipient ({exc}): give an X25519 public "
                "key (age1..., from `age-keygen -y key.txt`) or an SSH public key "
                "(ssh-ed25519 ... or ssh-rsa ...), never a private key."
            ) from None
    return out


def load_identities(path: Path) -> tuple[list[Any], list[str]]:
    """The identities in an age identity file (or an SSH private key), and their public keys.

    The public keys are known only for X25519 identities; ActionError if none is usable.
    """
    import pyrage

    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_IDENTITY_FILE)
    except OSError as exc:
        raise ActionError(f"The identity file {path} cannot be read ({exc.strerror}).") from None
    if b"PRIVATE KEY-----" in data:
        try:
            return [pyrage.ssh.Identity.from_buffer(data)], []
        except (ValueError, pyrage.IdentityError) as exc:
            raise ActionError(
                f"The SSH key {path} cannot be used as an age identity ({exc}); a key with a "
                "passphrase must be decrypted first."
            ) from None
    identities, publics = [], []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                identity = pyrage.x25519.Identity.from_str(line)
            except (ValueError, pyrage.IdentityError):
                continue
            identities.append(identity)
            publics.append(str(identity.to_public()))
    if not identities:
        raise ActionError(
            f"{path} holds no age identity (a line AGE-SECRET-KEY-1..., as `age-keygen` "
            "writes) and no SSH private key."
        )
    return identities, publics


def check_identity_fits(publics: Sequence[str], recipients: Sequence[str], path: Path) -> None:
    """Refuse an X25519 identity that none of the recipients belongs to (SSH ones pass)."""
    age_recipients = [r for r in recipients if r.startswith("age1")]
    only_age = bool(age_recipients) and len(age_recipients) == len(recipients)
    if publics and only_age and not set(publics) & set(age_recipients):
        raise ActionError(
            f"The identity in {path} is for {publics[0]}, which is not one of the "
            "recipients this backup is encrypted to, so it could not decrypt it."
        )
