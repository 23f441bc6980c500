"""SSH signatures: round trip, interoperability with ssh-keygen, and every way a signature can be wrong."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from charter import signing

MSG = b'{"use_case":"credit","stage":"production"}'


def _key(tmp: Path, name: str = "k") -> tuple[Path, signing.PublicKey]:
    key = Ed25519PrivateKey.generate()
    path = tmp / name
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()))
    return path, signing.public_key_of(key)


def test_round_trip(tmp_path: Path) -> None:
    path, pub = _key(tmp_path)
    sig = signing.sign(MSG, signing.load_private_key(path))
    assert sig.startswith("-----BEGIN SSH SIGNATURE-----")
    got = signing.verify(MSG, sig, [pub])
    assert got.ok and got.fingerprint == pub.fingerprint
    assert signing.signer_of(sig).blob == pub.blob


def test_altered_content_fails(tmp_path: Path) -> None:
    path, pub = _key(tmp_path)
    sig = signing.sign(MSG, signing.load_private_key(path))
    got = signing.verify(MSG + b" ", sig, [pub])
    assert not got.ok and "does not match the signed content" in (got.problem or "")


def test_other_key_fails(tmp_path: Path) -> None:
    path, _pub = _key(tmp_path, "a")
    _path_b, pub_b = _key(tmp_path, "b")
    sig = signing.sign(MSG, signing.load_private_key(path))
    got = signing.verify(MSG, sig, [pub_b])
    assert not got.ok and "not one of the approver's listed keys" in (got.problem or "")


def test_other_namespace_fails(tmp_path: Path) -> None:
    path, pub = _key(tmp_path)
    sig = signing.sign(MSG, signing.load_private_key(path), namespace="git")
    got = signing.verify(MSG, sig, [pub])
    assert not got.ok and "made for 'git'" in (got.problem or "")


@pytest.mark.parametrize("bad", ["", "garbage", "-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----",
                                 "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----", "x" * 10_000])
def test_malformed_signatures_are_reasons_not_crashes(tmp_path: Path, bad: str) -> None:
    _path, pub = _key(tmp_path)
    got = signing.verify(MSG, bad, [pub])
    assert not got.ok and got.problem


def test_bit_flip_in_signature_fails(tmp_path: Path) -> None:
    path, pub = _key(tmp_path)
    sig = signing.sign(MSG, signing.load_private_key(path))
    lines = sig.splitlines()
    body = list(lines[-2])
    body[5] = "A" if body[5] != "A" else "B"
    lines[-2] = "".join(body)
    assert not signing.verify(MSG, "\n".join(lines), [pub]).ok


@pytest.mark.parametrize("line, problem", [
    ("ssh-rsa AAAAB3NzaC1yc2E", "only ssh-ed25519"),
    ("ssh-ed25519 not-base64!", "not valid base64"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "not an ed25519 public key"),
    ("ssh-ed25519", "expected an OpenSSH public key line"),
])
def test_bad_public_keys(line: str, problem: str) -> None:
    with pytest.raises(signing.SigningError, match=problem):
        signing.parse_public_key(line)


def test_wrong_private_keys(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_text("nope")
    with pytest.raises(signing.SigningError, match="not an OpenSSH private key"):
        signing.load_private_key(junk)
    with pytest.raises(signing.SigningError, match="cannot read"):
        signing.load_private_key(tmp_path / "missing")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")
def test_encrypted_private_key_is_refused_with_a_reason(tmp_path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", str(tmp_path / "k")], check=True)
    with pytest.raises(signing.SigningError, match="passphrase"):
        signing.load_private_key(tmp_path / "k")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")
def test_interoperates_with_ssh_keygen(tmp_path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "auditor", "-f", str(tmp_path / "k")],
                   check=True)
    pub = signing.parse_public_key((tmp_path / "k.pub").read_text())
    msg = tmp_path / "msg"
    msg.write_bytes(MSG)
    # ssh-keygen signs, Charter verifies
    subprocess.run(["ssh-keygen", "-Y", "sign", "-n", signing.NAMESPACE, "-f", str(tmp_path / "k"), str(msg)],
                   check=True, capture_output=True)
    assert signing.verify(MSG, (tmp_path / "msg.sig").read_text(), [pub]).ok
    # Charter signs, ssh-keygen verifies
    (tmp_path / "ours.sig").write_text(signing.sign(MSG, signing.load_private_key(tmp_path / "k")))
    (tmp_path / "allowed").write_text(f"auditor {pub.openssh()}\n")
    out = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(tmp_path / "allowed"), "-I", "auditor",
                          "-n", signing.NAMESPACE, "-s", str(tmp_path / "ours.sig")], input=MSG,
                         capture_output=True, check=False)
    assert out.returncode == 0, out.stderr
    assert pub.fingerprint in out.stdout.decode() + out.stderr.decode()
