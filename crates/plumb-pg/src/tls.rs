//! TLS for connections, with libpq's sslmode semantics on top of rustls.
//!
//! tokio-postgres only knows whether to *use* TLS; what is *verified* is decided
//! here: nothing (`prefer`, `require` without a root certificate), the chain
//! (`verify-ca`, and `require` with a root certificate, as libpq does), or the
//! chain and the host name (`verify-full`).

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::conninfo::SslMode;

/// Why TLS could not be set up before connecting.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The root certificate file is missing or unreadable.
    #[error(
        "root certificate file \"{path}\" could not be read: {reason}. Either provide the file, use sslrootcert=system for the platform's trusted roots, or change sslmode to require (no verification)"
    )]
    RootCert {
        /// The file named by sslrootcert.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// verify-ca/verify-full without any root certificate.
    #[error(
        "sslmode={mode} needs trusted root certificates: set sslrootcert=/path/to/root.crt (or sslrootcert=system), or put the CA in ~/.postgresql/root.crt"
    )]
    NoRootCert {
        /// The sslmode asked for.
        mode: &'static str,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration failed: {0}")]
    Rustls(#[from] rustls::Error),
}

fn provider() -> Arc<CryptoProvider> {
    // Installed explicitly: rustls refuses to guess when more than one provider is compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls client configuration for `mode`, or `None` when TLS is off.
pub fn client_config(mode: SslMode, rootcert: Option<&Path>) -> Result<Option<ClientConfig>, TlsSetupError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let verify = match mode {
        SslMode::Disable => return Ok(None),
        SslMode::Allow | SslMode::Prefer => Verify::Nothing,
        // libpq: `require` verifies the chain when a root certificate is configured.
        SslMode::Require if rootcert.is_some() => Verify::Chain,
        SslMode::Require => Verify::Nothing,
        SslMode::VerifyCa => Verify::Chain,
        SslMode::VerifyFull => Verify::ChainAndName,
    };
    let config = match verify {
        Verify::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
            .with_no_client_auth(),
        Verify::Chain | Verify::ChainAndName => {
            let (roots, anchors) = load_roots(mode, rootcert)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
            let verifier = Libpq { inner: webpki, anchors, check_name: verify == Verify::ChainAndName };
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
        }
    };
    Ok(Some(config))
}

#[derive(PartialEq, Eq)]
enum Verify {
    Nothing,
    Chain,
    ChainAndName,
}

/// The trusted roots, and the certificates of the `sslrootcert` file itself (a self-signed
/// server certificate given as its own root is trusted as such, as libpq does).
fn load_roots(
    mode: SslMode,
    rootcert: Option<&Path>,
) -> Result<(RootCertStore, Vec<CertificateDer<'static>>), TlsSetupError> {
    let mut roots = RootCertStore::empty();
    let mut anchors = Vec::new();
    match rootcert {
        None => return Err(TlsSetupError::NoRootCert { mode: mode.as_str() }),
        Some(path) if path == Path::new("system") => {
            let native = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(native.certs);
            if added == 0 {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
        }
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|iter| iter.collect::<Result<_, _>>())
                .map_err(|e| TlsSetupError::RootCert { path: path.display().to_string(), reason: e.to_string() })?;
            if certs.is_empty() {
                return Err(TlsSetupError::RootCert {
                    path: path.display().to_string(),
                    reason: "no PEM certificate in it".into(),
                });
            }
            roots.add_parsable_certificates(certs.iter().cloned());
            anchors = certs;
        }
    }
    Ok((roots, anchors))
}

/// libpq's verification on top of webpki's: `verify-ca` checks the chain only (the name is not
/// checked); `verify-full` the name too. A server certificate that is itself one of the
/// `sslrootcert` certificates (a self-signed server, made with `openssl req -x509`) is trusted
/// as OpenSSL trusts it, where webpki alone refuses a CA used as an end entity.
#[derive(Debug)]
struct Libpq {
    inner: Arc<WebPkiServerVerifier>,
    anchors: Vec<CertificateDer<'static>>,
    check_name: bool,
}

impl ServerCertVerifier for Libpq {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(_) | CertificateError::UnknownIssuer))
                if self.anchors.iter().any(|a| a.as_ref() == end_entity.as_ref()) =>
            {
                if self.check_name {
                    let cert = webpki::EndEntityCert::try_from(end_entity)
                        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
                    cert.verify_is_valid_for_subject_name(server_name)
                        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::NotValidForName))?;
                }
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `prefer`/`require`: encrypted, not authenticated, as libpq does without a root certificate.
/// Handshake signatures are still checked so that the session key belongs to the presented certificate.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
