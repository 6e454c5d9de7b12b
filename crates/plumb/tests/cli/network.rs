//! A cluster reached over TCP with TLS and password authentication: certificate
//! verification as psql does it, and passwords that never reach the output.

use std::path::PathBuf;
use std::sync::OnceLock;

use plumb_pg::{Cluster, ClusterConfig};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

use crate::support::{TestDb, binaries, plumb};

const PASSWORD: &str = "Sup3rS3cretPassw0rd";
const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart/migrations");

struct Network {
    cluster: Cluster,
    certs: tempfile::TempDir,
}

impl Network {
    fn port(&self) -> u16 {
        self.cluster.tcp_port().unwrap()
    }

    fn ca(&self) -> PathBuf {
        self.certs.path().join("ca.pem")
    }

    fn other_ca(&self) -> PathBuf {
        self.certs.path().join("other-ca.pem")
    }
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (params.self_signed(&key).unwrap(), key)
}

/// TLS on, certificate for "localhost" only, signed by a local CA; role `app` with a password.
fn network() -> &'static Network {
    static NETWORK: OnceLock<Network> = OnceLock::new();
    NETWORK.get_or_init(|| {
        let (ca_cert, ca_key) = ca("plumb test CA");
        let (other_ca, _) = ca("some other CA");
        let server_key = KeyPair::generate().unwrap();
        let server_cert = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&server_key, &ca_cert, &ca_key)
            .unwrap();
        let certs = tempfile::tempdir().unwrap();
        std::fs::write(certs.path().join("ca.pem"), ca_cert.pem()).unwrap();
        std::fs::write(certs.path().join("other-ca.pem"), other_ca.pem()).unwrap();
        let config = ClusterConfig {
            tcp: true,
            settings: vec![
                ("ssl".into(), "on".into()),
                ("ssl_cert_file".into(), "server.crt".into()),
                ("ssl_key_file".into(), "server.key".into()),
                ("password_encryption".into(), "scram-sha-256".into()),
            ],
            data_files: vec![
                ("server.crt".into(), server_cert.pem().into_bytes()),
                ("server.key".into(), server_key.serialize_pem().into_bytes()),
            ],
            hba_lines: vec![
                "hostssl all app 127.0.0.1/32 scram-sha-256".into(),
                "hostnossl all all 127.0.0.1/32 reject".into(),
            ],
        };
        crate::support::stop_clusters_at_exit();
        let cluster = Cluster::start(&binaries(), &config).unwrap_or_else(|e| panic!("TLS cluster: {e}"));
        Network { cluster, certs }
    })
}

fn admin_url(net: &Network, extra: &str) -> String {
    format!("postgres://postgres@localhost:{}/postgres?{extra}", net.port())
}

#[test]
fn verify_full_with_a_local_ca_connects() {
    let net = network();
    let url = admin_url(net, &format!("sslmode=verify-full&sslrootcert={}", net.ca().display()));
    let run = plumb(&url, &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("pending"), "{run:?}");
}

#[test]
fn verify_full_refuses_a_certificate_for_another_host_name() {
    let net = network();
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={}",
        net.port(),
        net.ca().display()
    );
    let run = plumb(&url, &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("not valid for the host name"), "{run:?}");
    // verify-ca checks the chain only, as libpq does.
    let url = url.replace("verify-full", "verify-ca");
    let run = plumb(&url, &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn verify_full_refuses_an_unknown_ca() {
    let net = network();
    let url = admin_url(net, &format!("sslmode=verify-full&sslrootcert={}", net.other_ca().display()));
    let run = plumb(&url, &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("not signed by a trusted root"), "{run:?}");
    let url = admin_url(net, "sslmode=verify-full&sslrootcert=/nonexistent/root.crt");
    let run = plumb(&url, &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("/nonexistent/root.crt"), "{run:?}");
}

#[test]
fn passwords_never_reach_the_output() {
    let net = network();
    // Over the cluster's Unix socket, which trusts the superuser.
    let admin = TestDb { name: "postgres".into(), info: net.cluster.conninfo("postgres") };
    let db_name = format!("secrets_{}", std::process::id());
    admin.query(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN PASSWORD '{PASSWORD}'; END IF; END $$"
    ));
    admin.query(&format!("CREATE DATABASE {db_name} OWNER app"));
    let good = format!("postgres://app:{PASSWORD}@localhost:{}/{db_name}?sslmode=require", net.port());
    let wrong = format!("postgres://app:{PASSWORD}x@localhost:{}/{db_name}?sslmode=require", net.port());
    let nobody_home = format!("postgres://app:{PASSWORD}@127.0.0.1:1/{db_name}?connect_timeout=2");
    let no_db = format!("postgres://app:{PASSWORD}@localhost:{}/missing_db?sslmode=require", net.port());
    let keyword =
        format!("host=localhost port={} user=app password={PASSWORD} dbname={db_name} sslmode=require", net.port());
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(broken.path().join("1_bad.sql"), "CREATE TABLE x (id int);\nSELECT missing_column FROM x;\n")
        .unwrap();
    let broken = broken.path().to_str().unwrap().to_owned();

    let commands: [&[&str]; 6] = [
        &["status", "--dir", QUICKSTART],
        &["status", "--dir", QUICKSTART, "--json"],
        &["apply", "--dir", QUICKSTART, "--dry-run"],
        &["apply", "--dir", QUICKSTART, "--json"],
        &["apply", "--dir", &broken],
        &["apply", "--dir", &broken, "--json"],
    ];
    let mut succeeded = 0;
    for url in [&good, &wrong, &nobody_home, &no_db, &keyword] {
        for args in commands {
            let run = plumb(url, args);
            let output = run.all_output();
            assert!(
                !output.contains(PASSWORD),
                "password printed by {args:?} for {}:\n{output}",
                plumb_pg::redact(url)
            );
            assert!(!output.contains("S3cret"), "part of the password printed by {args:?}:\n{output}");
            if run.code == 0 {
                succeeded += 1;
            }
        }
    }
    // Each URL form fails with the wrong password, no server or no database, and works with the right one.
    assert!(succeeded >= 6, "the good URLs should work: {succeeded}");
    let run = plumb(&wrong, &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("password authentication failed"), "{run:?}");
}

/// A server with a self-signed certificate (as `openssl req -x509` makes one: its own CA),
/// given to plumb as its root: libpq trusts it for verify-ca, and for verify-full on its name.
#[test]
fn a_self_signed_server_certificate_given_as_its_own_root_is_trusted_as_libpq_does() {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = params.self_signed(&key).unwrap();
    let certs = tempfile::tempdir().unwrap();
    let root = certs.path().join("server.pem");
    std::fs::write(&root, cert.pem()).unwrap();
    let config = ClusterConfig {
        tcp: true,
        settings: vec![
            ("ssl".into(), "on".into()),
            ("ssl_cert_file".into(), "server.crt".into()),
            ("ssl_key_file".into(), "server.key".into()),
        ],
        data_files: vec![
            ("server.crt".into(), cert.pem().into_bytes()),
            ("server.key".into(), key.serialize_pem().into_bytes()),
        ],
        hba_lines: vec!["hostssl all postgres 127.0.0.1/32 trust".into()],
    };
    crate::support::stop_clusters_at_exit();
    let cluster = Cluster::start(&binaries(), &config).unwrap_or_else(|e| panic!("TLS cluster: {e}"));
    let url = |host: &str, mode: &str| {
        format!(
            "postgres://postgres@{host}:{}/postgres?sslmode={mode}&sslrootcert={}",
            cluster.tcp_port().unwrap(),
            root.display()
        )
    };
    for (host, mode) in [("127.0.0.1", "verify-ca"), ("localhost", "verify-full")] {
        let run = plumb(&url(host, mode), &["status", "--dir", QUICKSTART]);
        assert_eq!(run.code, 0, "{mode} via {host}: {run:?}");
    }
    let run = plumb(&url("127.0.0.1", "verify-full"), &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("not valid for the host name"), "{run:?}");
}
