//! Commit signatures: which key made the one on a realm commit, and the key the user's git
//! signs with. Signing itself is git's (`git commit-tree -S`); checking an ssh signature is
//! done here, in-process, as `ssh-keygen -Y verify -n git` does it; an OpenPGP signature is
//! checked by `gpgv` against a keyring of the keys the realm lists, made in a temporary
//! directory (the user's own keyring is never read or written).

use std::path::Path;

use anyhow::{Context, Result};

use super::Git;
use crate::error::BadInput;
use crate::realm::trust::Signature;

/// What the signature on `commit` proves: the key that made it, when it verifies.
/// `openpgp_keys` gives the OpenPGP keys (base64 of `gpg --export`) to check an OpenPGP
/// signature with; it is only called for one.
pub fn of_commit(
    commit: &gix::Commit<'_>,
    openpgp_keys: impl FnOnce() -> Vec<String>,
) -> Signature {
    let signed = match commit.signature() {
        Ok(Some(signed)) => signed,
        Ok(None) => return Signature::Unsigned,
        Err(e) => {
            return Signature::Invalid {
                why: format!("cannot read it: {e}"),
            };
        }
    };
    let (armor, data) = signed;
    let armor = armor.to_string();
    if armor.starts_with("-----BEGIN PGP SIGNATURE-----") {
        return verify_openpgp(&armor, &data.to_bstring(), &openpgp_keys());
    }
    if !armor.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Signature::Unverifiable {
            why: "a signature in a format other than ssh or OpenPGP".to_owned(),
        };
    }
    verify_ssh(armor.trim_end(), &data.to_bstring())
}

/// Check the armored ssh signature `armor` over `message` in git's namespace.
pub fn verify_ssh(armor: &str, message: &[u8]) -> Signature {
    let sig = match ssh_key::SshSig::from_pem(armor) {
        Ok(sig) => sig,
        // A key type not built in here (ecdsa, rsa, security keys): ssh-keygen checks it.
        Err(e) => {
            return match signing_key_of(armor) {
                Some(shown) => check_with_ssh_keygen(armor, message, shown),
                None => Signature::Invalid {
                    why: format!("malformed ssh signature: {e}"),
                },
            };
        }
    };
    if sig.namespace() != "git" {
        return Signature::Invalid {
            why: format!("made for namespace `{}`, not `git`", sig.namespace()),
        };
    }
    let key = ssh_key::PublicKey::from(sig.public_key().clone());
    let shown = key.to_openssh().unwrap_or_default();
    if key.algorithm() != ssh_key::Algorithm::Ed25519 {
        return check_with_ssh_keygen(armor, message, shown);
    }
    match key.verify("git", message, &sig) {
        Ok(()) => Signature::Valid { key: shown },
        Err(e) => Signature::Invalid {
            why: format!("{e} (key {shown})"),
        },
    }
}

/// The public key inside an armored ssh signature (PROTOCOL.sshsig: `SSHSIG`, a version, the
/// key's wire form), as `key-type base64`.
fn signing_key_of(armor: &str) -> Option<String> {
    use base64::Engine;
    let body: String = armor
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    let blob = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    let rest = blob.strip_prefix(b"SSHSIG")?.get(4..)?;
    let string = |bytes: &[u8]| -> Option<(Vec<u8>, usize)> {
        let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        Some((bytes.get(4..4 + len)?.to_vec(), 4 + len))
    };
    let (key, _) = string(rest)?;
    let (kind, _) = string(&key)?;
    Some(format!(
        "{} {}",
        String::from_utf8(kind).ok()?,
        base64::engine::general_purpose::STANDARD.encode(&key)
    ))
}

/// A fresh private directory under the system's temporary one, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(what: &str) -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "git-realm-{what}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Check the armored OpenPGP signature `armor` over `message` with `gpgv`, against a keyring
/// of `keys` (base64 of `gpg --export`) in a temporary home: the user's keyring and trust
/// settings play no part. A valid signature names the primary key's fingerprint; one that
/// checks out but was made by a key that has expired, or is past its own expiry, is
/// [`Signature::Expired`] whatever date it carries (the rules say what that is worth).
pub fn verify_openpgp(armor: &str, message: &[u8], keys: &[String]) -> Signature {
    use base64::Engine;
    use std::io::Write;
    let mut keyring = Vec::new();
    for key in keys {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(key.trim()) {
            keyring.extend(bytes);
        }
    }
    let run = || -> std::io::Result<(bool, String)> {
        let home = TempDir::new("gpgv")?;
        let keyring_file = home.0.join("listed.gpg");
        let sig_file = home.0.join("commit.sig");
        std::fs::write(&keyring_file, &keyring)?;
        std::fs::write(&sig_file, format!("{}\n", armor.trim_end()))?;
        let mut child = std::process::Command::new("gpgv")
            .arg("--homedir")
            .arg(&home.0)
            .args(["--status-fd", "1", "--keyring"])
            .arg(&keyring_file)
            .arg(&sig_file)
            .arg("-")
            .env_remove("GNUPGHOME")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        // gpgv may stop reading early on a signature it cannot use.
        let _ = child.stdin.take().expect("piped").write_all(message);
        let out = child.wait_with_output()?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    };
    let (ok, status) = match run() {
        Ok(found) => found,
        Err(e) => {
            return Signature::Unverifiable {
                why: format!("an OpenPGP signature, and gpgv could not run ({e})"),
            };
        }
    };
    let line = |tag: &str| {
        status.lines().find_map(|l| {
            let rest = l.strip_prefix("[GNUPG:] ")?;
            let mut words = rest.split_whitespace();
            (words.next() == Some(tag)).then(|| words.map(str::to_owned).collect::<Vec<_>>())
        })
    };
    if let Some(words) = line("REVKEYSIG") {
        return Signature::Invalid {
            why: format!(
                "made by OpenPGP key {}, which is revoked",
                words.first().map(String::as_str).unwrap_or("?")
            ),
        };
    }
    // The key that made it, as the realm lists it: the primary key's fingerprint when gpgv
    // could check the signature at all, the issuer's key id otherwise.
    let signer = |words: Vec<String>| {
        line("VALIDSIG")
            .and_then(|valid| valid.get(9).or(valid.first()).cloned())
            .or_else(|| words.first().cloned())
            .unwrap_or_else(|| "?".to_owned())
            .to_ascii_uppercase()
    };
    // gpgv calls a signature by an expired key good (and exits 0); the dates in a commit and
    // in its signature are the signer's to choose, so one made "before" the key expired
    // proves nothing about when it was made: the rules judge it as a commit is first seen.
    // The key is the primary one VALIDSIG names, once gpgv found the signature good.
    let expired = |words: Vec<String>, why: &dyn Fn(&str) -> String| {
        let key = signer(words);
        let why = why(&key);
        match line("VALIDSIG") {
            Some(_) => Signature::Expired {
                key: format!("{} {key}", crate::realm::trust::OPENPGP),
                why,
            },
            None => Signature::Invalid { why },
        }
    };
    if let Some(words) = line("EXPKEYSIG") {
        return expired(words, &|key| {
            format!(
                "made by OpenPGP key {key}, which has expired (renew it with 'gpg --quick-set-expire {key} 1y', list the renewed key again in signing_keys, and sign anew)"
            )
        });
    }
    if let Some(words) = line("EXPSIG") {
        return expired(words, &|key| {
            format!(
                "made by OpenPGP key {key} with an expiry of its own, which has passed (sign anew, without a signature expiry)"
            )
        });
    }
    if let Some(words) = line("VALIDSIG")
        && ok
    {
        // The last field is the primary key's fingerprint (a subkey may have signed).
        if let Some(primary) = words.get(9).or(words.first()) {
            return Signature::Valid {
                key: format!(
                    "{} {}",
                    crate::realm::trust::OPENPGP,
                    primary.to_ascii_uppercase()
                ),
            };
        }
    }
    if let Some(words) = line("BADSIG") {
        return Signature::Invalid {
            why: format!(
                "OpenPGP key {} did not make it over this commit",
                words.first().map(String::as_str).unwrap_or("?")
            ),
        };
    }
    if let Some(words) = line("ERRSIG") {
        // ERRSIG keyid pkalgo hashalgo class time rc [fingerprint]
        let issuer = words
            .get(6)
            .or(words.first())
            .map(String::as_str)
            .unwrap_or("?");
        if line("NO_PUBKEY").is_some() {
            return Signature::Unlisted {
                key: format!(
                    "{} {}",
                    crate::realm::trust::OPENPGP,
                    issuer.to_ascii_uppercase()
                ),
            };
        }
        return Signature::Invalid {
            why: format!("OpenPGP key {issuer}: gpgv cannot check it"),
        };
    }
    Signature::Invalid {
        why: "gpgv rejects the OpenPGP signature".to_owned(),
    }
}

/// Other key types (rsa, ecdsa, security keys) are checked by `ssh-keygen`, as git does.
fn check_with_ssh_keygen(armor: &str, message: &[u8], shown: String) -> Signature {
    use std::io::Write;
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let sig_file = std::env::temp_dir().join(format!(
        "git-realm-sig-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    let checked = (|| -> std::io::Result<bool> {
        std::fs::write(&sig_file, format!("{armor}\n"))?;
        let mut child = std::process::Command::new("ssh-keygen")
            .args(["-Y", "check-novalidate", "-n", "git", "-s"])
            .arg(&sig_file)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        child.stdin.take().expect("piped").write_all(message)?;
        Ok(child.wait()?.success())
    })();
    let _ = std::fs::remove_file(&sig_file);
    match checked {
        Ok(true) => Signature::Valid { key: shown },
        Ok(false) => Signature::Invalid {
            why: format!("ssh-keygen rejects it (key {shown})"),
        },
        Err(_) => Signature::Unverifiable {
            why: format!("an ssh signature by key {shown}, and ssh-keygen could not run"),
        },
    }
}

/// The key the user's git signs commits with.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// The public key as domain.yaml lists it after the email: `key-type base64` for ssh,
    /// `openpgp FINGERPRINT base64` for OpenPGP.
    pub public: Option<String>,
}

/// The signing key configured for git in `dir` (`user.signingkey`, `gpg.format`), if any.
/// `realm.sign=false` turns signing of realm commits off.
pub fn signing_key(dir: &Path) -> Result<Option<SigningKey>> {
    signing_key_with(dir, &|key: &str| -> Result<Option<String>> {
        let (_, out) = Git::in_dir(dir).args(["config", "--get", key]).output()?;
        let value = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok((!value.is_empty()).then_some(value))
    })
}

/// [`signing_key`] for the code repository, its config read once.
pub fn repo_signing_key(repo: &super::CodeRepo) -> Result<Option<SigningKey>> {
    signing_key_with(&repo.root, &|key: &str| {
        Ok(repo.config(key)?.filter(|value| !value.is_empty()))
    })
}

fn signing_key_with(
    dir: &Path,
    get: &dyn Fn(&str) -> Result<Option<String>>,
) -> Result<Option<SigningKey>> {
    if get("realm.sign")?.is_some_and(|v| matches!(v.as_str(), "false" | "0" | "no" | "off")) {
        return Ok(None);
    }
    let Some(configured) = get("user.signingkey")? else {
        return Ok(None);
    };
    let format = get("gpg.format")?.unwrap_or_else(|| "openpgp".to_owned());
    let public = match format.as_str() {
        "ssh" => Some(ssh_public_key(dir, &configured)?),
        "openpgp" => {
            let program = match get("gpg.openpgp.program")? {
                Some(program) => program,
                None => get("gpg.program")?.unwrap_or_else(|| "gpg".to_owned()),
            };
            Some(openpgp_public_key(&program, &configured)?)
        }
        _ => None,
    };
    Ok(Some(SigningKey { public }))
}

/// The OpenPGP key `user.signingkey` names, read from the user's keyring (never changed):
/// `openpgp FINGERPRINT base64`, the primary key's fingerprint and its minimal export.
fn openpgp_public_key(program: &str, configured: &str) -> Result<String> {
    use base64::Engine;
    let wanted = configured.trim_end_matches('!');
    let missing = || -> anyhow::Error {
        BadInput::new(
            format!("cannot export the OpenPGP key `{configured}` that user.signingkey names"),
            format!(
                "check it with '{program} --list-keys {wanted}', set user.signingkey to a key you have, or set realm.sign=false"
            ),
        )
        .into()
    };
    let run = |args: &[&str]| -> Result<Option<Vec<u8>>> {
        let out = std::process::Command::new(program)
            .args(["--batch", "--no-auto-check-trustdb"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .with_context(|| format!("failed to run `{program}`"))?;
        Ok(out.status.success().then_some(out.stdout))
    };
    let listing = run(&["--with-colons", "--list-keys", "--", wanted])?.ok_or_else(missing)?;
    let listing = String::from_utf8_lossy(&listing);
    // The first key's primary fingerprint: the `fpr` record right after its `pub` record.
    let mut lines = listing.lines().skip_while(|l| !l.starts_with("pub:"));
    lines.next();
    let fingerprint = lines
        .next()
        .filter(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .filter(|f| !f.is_empty())
        .ok_or_else(missing)?
        .to_ascii_uppercase();
    let exported = run(&[
        "--export",
        "--export-options",
        "export-minimal",
        "--",
        &fingerprint,
    ])?
    .filter(|bytes| !bytes.is_empty())
    .ok_or_else(missing)?;
    Ok(format!(
        "{} {fingerprint} {}",
        crate::realm::trust::OPENPGP,
        base64::engine::general_purpose::STANDARD.encode(exported)
    ))
}

/// The public half of the ssh key `user.signingkey` names, as git takes it: `key::` and a
/// literal key, or the path of a public or private key file.
fn ssh_public_key(dir: &Path, configured: &str) -> Result<String> {
    let literal = configured.strip_prefix("key::").unwrap_or(configured);
    if literal.starts_with("ssh-") || literal.starts_with("ecdsa-") || literal.starts_with("sk-") {
        return Ok(key_words(literal));
    }
    let path = expand_home(configured);
    let path = dir.join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if text.starts_with("ssh-") || text.starts_with("ecdsa-") || text.starts_with("sk-") {
        return Ok(key_words(&text));
    }
    let public = path.with_extension(match path.extension() {
        Some(ext) => format!("{}.pub", ext.to_string_lossy()),
        None => "pub".to_owned(),
    });
    if let Ok(text) = std::fs::read_to_string(&public) {
        return Ok(key_words(&text));
    }
    let out = std::process::Command::new("ssh-keygen")
        .arg("-y")
        .arg("-f")
        .arg(&path)
        .stdin(std::process::Stdio::null())
        .output()
        .context("failed to run `ssh-keygen`")?;
    if !out.status.success() {
        return Err(BadInput::new(
            format!(
                "cannot read the public key of `user.signingkey` (`{}`)",
                path.display()
            ),
            "set user.signingkey to your public key file (~/.ssh/id_ed25519.pub), or set realm.sign=false",
        )
        .into());
    }
    Ok(key_words(&String::from_utf8_lossy(&out.stdout)))
}

/// `key-type base64` of a public key line, without its comment.
fn key_words(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn expand_home(path: &str) -> std::path::PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(|home| Path::new(&home).join(rest))
            .unwrap_or_else(|| path.into()),
        None => path.into(),
    }
}

/// Refuse to write to a realm that requires signatures without a key to sign with.
pub fn require_signing(
    repo: &super::CodeRepo,
    realm: &crate::realm::snapshot::Snapshot,
) -> Result<()> {
    // Only ssh and OpenPGP signatures can be checked against the keys a realm lists.
    if realm.realm.governance.require_signatures
        && repo_signing_key(repo)?.and_then(|k| k.public).is_none()
    {
        return Err(BadInput::new(
            format!(
                "realm `{}` requires signed commits, and git has no ssh or OpenPGP signing key configured",
                realm.realm.name
            ),
            "set one up: 'git config --global gpg.format ssh' and 'git config --global user.signingkey ~/.ssh/id_ed25519.pub' (or user.signingkey set to your OpenPGP key), then ask to have the key listed",
        )
        .into());
    }
    Ok(())
}
