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
            let roots = load_roots(mode, rootcert)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
            if verify == Verify::ChainAndName {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            } else {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly { inner: webpki }))
                    .with_no_client_auth()
            }
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

fn load_roots(mode: SslMode, rootcert: Option<&Path>) -> Result<RootCertStore, TlsSetupError> {
    let mut roots = RootCertStore::empty();
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
            roots.add_parsable_certificates(certs);
        }
    }
    Ok(roots)
}

/// `verify-ca`: the chain must lead to a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
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
            )) => Ok(ServerCertVerified::assertion()),
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
