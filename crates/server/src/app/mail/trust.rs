//! The certificates kefu trusts on its connections to mail servers (IMAP and SMTP over
//! TLS): the system's, plus the CA certificates in the PEM file the `mail_ca_file`
//! setting names. Mail servers inside a company often carry a certificate from the
//! company's own CA, which no system trusts.

use anyhow::{bail, Context};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::Path;

/// The extra trusted CA certificates: none without a file; an unreadable file or one
/// without a certificate is an error naming it (a connection then fails with that
/// reason on the mailbox page, instead of trusting less than the admin meant).
pub fn extra_roots(file: Option<&Path>) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let Some(path) = file else {
        return Ok(Vec::new());
    };
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("mail_ca_file {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("mail_ca_file {}", path.display()))?;
    if certs.is_empty() {
        bail!("mail_ca_file {}: no certificate in it", path.display());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_an_error() {
        assert!(extra_roots(None).unwrap().is_empty());
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = extra_roots(Some(&empty)).unwrap_err().to_string();
        assert!(e.contains("no certificate"), "{e}");
        let missing = dir.path().join("missing.pem");
        assert!(extra_roots(Some(&missing)).is_err());
    }
}
