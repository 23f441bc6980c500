"""SSH signatures (the ``SSHSIG`` format of ``ssh-keygen -Y sign``) over ed25519 keys.

Approvals are signed by the approver's own SSH key and verified against the
public keys the organisation lists for that person under ``governance/``. The
format is OpenSSH's, so a signature made here verifies with
``ssh-keygen -Y verify`` and one made by ``ssh-keygen -Y sign`` verifies here.
Only ed25519 is accepted: one algorithm, no parameters to get wrong.

Every signature is bound to a *namespace* (``charter-approval``), so a
signature made for another purpose (a git commit, a file) never counts as an
approval. Verification returns data (:class:`Verified`) and never raises for a
bad signature: a forged, truncated or mismatched signature is a reason, not a
crash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"SSHSIG"
VERSION = 1
NAMESPACE = "charter-approval"
HASH_ALG = "sha512"
KEY_TYPE = "ssh-ed25519"
_BEGIN = "-----BEGIN SSH SIGNATURE-----"
_END = "-----END SSH SIGNATURE-----"
MAX_SIGNATURE_CHARS = 4096
"""An armored ed25519 signature is about 300 characters; anything far larger is refused unread."""


class SigningError(ValueError):
    """A key or signature cannot be used; the message says why."""


@dataclass(frozen=True)
class PublicKey:
    blob: bytes
    """The key in SSH wire format (string "ssh-ed25519", string 32-byte key)."""
    comment: str = ""

    @property
    def raw(self) -> bytes:
        return _read_strings(self.blob, 2)[1]

    @property
    def fingerprint(self) -> str:
        """As ``ssh-keygen -l`` prints it: SHA256:<unpadded base64>."""
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")

    def openssh(self) -> str:
        line = f"{KEY_TYPE} {base64.b64encode(self.blob).decode()}"
        return f"{line} {self.comment}" if self.comment else line


@dataclass(frozen=True)
class Verified:
    ok: bool
    problem: str | None = None
    fingerprint: str | None = None
    """The key that made the signature (when the signature could be parsed)."""


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _read_strings(data: bytes, count: int | None = None) -> list[bytes]:
    out: list[bytes] = []
    pos = 0
    while pos < len(data) and (count is None or len(out) < count):
        if pos + 4 > len(data):
            raise SigningError("truncated SSH wire data")
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        pos += 4
        if pos + n > len(data):
            raise SigningError("truncated SSH wire data")
        out.append(data[pos:pos + n])
        pos += n
    if count is not None and len(out) != count:
        raise SigningError("truncated SSH wire data")
    return out


def parse_public_key(line: str) -> PublicKey:
    """An OpenSSH public key line (``ssh-ed25519 AAAA… comment``)."""
    parts = line.strip().split(None, 2)
    if len(parts) < 2:
        raise SigningError("expected an OpenSSH public key line: 'ssh-ed25519 AAAA… [comment]'")
    if parts[0] != KEY_TYPE:
        raise SigningError(f"only {KEY_TYPE} keys are accepted, got '{parts[0][:40]}'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise SigningError("the key is not valid base64") from None
    fields = _read_strings(blob)
    if len(fields) != 2 or fields[0] != KEY_TYPE.encode() or len(fields[1]) != 32:
        raise SigningError("the key data is not an ed25519 public key")
    return PublicKey(blob, parts[2] if len(parts) > 2 else "")


def _signed_data(message: bytes, namespace: str) -> bytes:
    digest = hashlib.sha512(message).digest()
    return MAGIC + _string(namespace.encode()) + _string(b"") + _string(HASH_ALG.encode()) + _string(digest)


def _armor(blob: bytes) -> str:
    text = base64.b64encode(blob).decode()
    lines = [text[i:i + 70] for i in range(0, len(text), 70)]
    return "\n".join([_BEGIN, *lines, _END]) + "\n"


def _unarmor(text: str) -> bytes:
    body = text.strip()
    if not body.startswith(_BEGIN) or not body.endswith(_END):
        raise SigningError("not an SSH signature (expected '-----BEGIN SSH SIGNATURE-----')")
    inner = "".join(body[len(_BEGIN):-len(_END)].split())
    try:
        return base64.b64decode(inner, validate=True)
    except (binascii.Error, ValueError):
        raise SigningError("the signature is not valid base64") from None


def load_private_key(path: Path):  # type: ignore[no-untyped-def]
    """An unencrypted OpenSSH ed25519 private key (``ssh-keygen -t ed25519 -N ''``)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read the key {path}: {exc.strerror or exc}") from None
    try:
        key = load_ssh_private_key(data, password=None)
    except (TypeError, UnsupportedAlgorithm):
        raise SigningError(f"the key {path} is protected by a passphrase; sign with an unencrypted copy "
                           "held only on the approver's machine") from None
    except ValueError as exc:
        raise SigningError(f"{path} is not an OpenSSH private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an ed25519 key; create one with `ssh-keygen -t ed25519`")
    return key


def public_key_of(private_key) -> PublicKey:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PublicKey(_string(KEY_TYPE.encode()) + _string(raw))


def sign(message: bytes, private_key, namespace: str = NAMESPACE) -> str:  # type: ignore[no-untyped-def]
    """An armored SSHSIG signature of ``message`` (what ``ssh-keygen -Y sign -n NAMESPACE`` writes)."""
    public = public_key_of(private_key)
    raw_sig = private_key.sign(_signed_data(message, namespace))
    sig_blob = _string(KEY_TYPE.encode()) + _string(raw_sig)
    blob = (MAGIC + struct.pack(">I", VERSION) + _string(public.blob) + _string(namespace.encode())
            + _string(b"") + _string(HASH_ALG.encode()) + _string(sig_blob))
    return _armor(blob)


def signer_of(signature: str) -> PublicKey:
    """The public key a signature claims to be made with (not yet verified)."""
    blob = _unarmor(signature)
    if not blob.startswith(MAGIC):
        raise SigningError("not an SSHSIG signature")
    rest = blob[len(MAGIC):]
    if len(rest) < 4 or struct.unpack(">I", rest[:4])[0] != VERSION:
        raise SigningError("unsupported SSHSIG version")
    fields = _read_strings(rest[4:], 5)
    return PublicKey(fields[0])


def verify(message: bytes, signature: str, keys: list[PublicKey], namespace: str = NAMESPACE) -> Verified:
    """Whether ``signature`` signs ``message`` in ``namespace`` with one of ``keys``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if len(signature) > MAX_SIGNATURE_CHARS:
        return Verified(False, "the signature is far longer than an ed25519 signature")
    try:
        blob = _unarmor(signature)
        if not blob.startswith(MAGIC):
            return Verified(False, "not an SSHSIG signature")
        rest = blob[len(MAGIC):]
        if len(rest) < 4 or struct.unpack(">I", rest[:4])[0] != VERSION:
            return Verified(False, "unsupported SSHSIG version")
        pub_blob, ns, _reserved, hash_alg, sig_blob = _read_strings(rest[4:], 5)
        signer = PublicKey(pub_blob)
        algo, raw_sig = _read_strings(sig_blob, 2)
    except SigningError as exc:
        return Verified(False, str(exc))
    if ns.decode(errors="replace") != namespace:
        return Verified(False, f"the signature was made for '{ns.decode(errors='replace')[:40]}', "
                               f"not for '{namespace}'", signer.fingerprint)
    if hash_alg != HASH_ALG.encode() or algo != KEY_TYPE.encode():
        return Verified(False, "the signature does not use ed25519 with sha512", signer.fingerprint)
    if not any(k.blob == pub_blob for k in keys):
        return Verified(False, f"it is signed with key {signer.fingerprint}, which is not one of the approver's "
                               "listed keys", signer.fingerprint)
    try:
        Ed25519PublicKey.from_public_bytes(signer.raw).verify(raw_sig, _signed_data(message, namespace))
    except (InvalidSignature, ValueError):
        return Verified(False, "the signature does not match the signed content (it was altered, or it signs "
                               "other content)", signer.fingerprint)
    return Verified(True, None, signer.fingerprint)
