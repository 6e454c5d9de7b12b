//! The checksums other tools record, computed exactly as those tools do, so that a history
//! plumb writes is one the tool accepts, and a file edited after it ran is seen.
//!
//! Both are a few lines; a crate each would be more code to trust than the code itself.

use sha2::{Digest, Sha256};

/// Flyway's checksum of a SQL migration: CRC-32 (IEEE) over the UTF-8 bytes of every line,
/// the line ends left out (Java's `BufferedReader.readLine()`: `\n`, `\r\n` or a lone `\r`),
/// a byte-order mark at the start dropped, read as a signed 32-bit integer (flyway-core,
/// `resource/LoadableResource.calculateChecksum`). Line ends do not count, so a file checked
/// out with CRLF keeps its checksum.
pub fn flyway_crc32(text: &str) -> i32 {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut crc = !0u32;
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\n' => {}
            b'\r' => {
                bytes.next_if_eq(&b'\n');
            }
            _ => crc = crc32_step(crc, b),
        }
    }
    !crc as i32
}

/// One byte of the reflected CRC-32 (polynomial 0xEDB88320), bit by bit: migration files are
/// small and read once, so a table buys nothing worth its lines.
fn crc32_step(crc: u32, byte: u8) -> u32 {
    let mut crc = crc ^ u32::from(byte);
    for _ in 0..8 {
        crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
    }
    crc
}

/// Atlas's per-file hashes of a migration folder (`atlas.sum`): one running SHA-256 fed each
/// file's name then its bytes, in name order; a file's hash is the base64 of the running
/// digest after it, so it covers every file before it too (atlas, `sql/migrate/dir.go`,
/// `NewHashFile`). Files with an `atlas:sum ignore` directive are not handled: plumb reports
/// the mismatch with `atlas.sum` rather than guess.
pub fn atlas_hashes<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<String> {
    let mut running = Sha256::new();
    files
        .into_iter()
        .map(|(name, bytes)| {
            running.update(name.as_bytes());
            running.update(bytes);
            base64(&running.clone().finalize())
        })
        .collect()
}

/// The `h1:` sum on the first line of `atlas.sum`: the SHA-256 of every file name and hash
/// (atlas, `HashFile.Sum`).
pub fn atlas_sum<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut sha = Sha256::new();
    for (name, hash) in entries {
        sha.update(name.as_bytes());
        sha.update(hash.as_bytes());
    }
    base64(&sha.finalize())
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Standard base64 with padding (Go's `base64.StdEncoding`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_checksums_match_javas_crc32_over_readline() {
        // Computed with java.util.zip.CRC32 fed BufferedReader.readLine() lines as UTF-8, the
        // BOM dropped, cast to int: what Flyway's LoadableResource does (OpenJDK 17).
        assert_eq!(flyway_crc32("CREATE TABLE person (id int);\nINSERT INTO person VALUES (1);\n"), 1369135094);
        assert_eq!(flyway_crc32("\u{feff}SELECT 1;\r\nSELECT 'é';\rSELECT 3;"), -48331972);
        // Line ends do not count.
        assert_eq!(flyway_crc32("a\r\nb\r\n"), flyway_crc32("a\nb\n"));
    }

    #[test]
    fn atlas_hashes_and_sum_match_the_sum_file_atlas_wrote() {
        // ariga/atlas, sql/migrate/testdata/partial-checkpoint: the files and the atlas.sum
        // Atlas wrote for them.
        let files: [(&str, &[u8]); 6] = [
            ("1_first.sql", b"create table `tbl_1` (`col` int);\n"),
            ("2_second.sql", b"create table `tbl_2` (`col` int);\n"),
            ("3_checkpoint.sql", b"-- atlas:checkpoint\n\nCREATE TABLE `tbl_1` (`col` int);\nCREATE TABLE `tbl_2` (`col` int);\n"),
            ("4_fourth.sql", b"create table `tbl_3` (`col` int);\n"),
            (
                "5_checkpoint.sql",
                b"-- atlas:checkpoint\n\nCREATE TABLE `tbl_1` (`col` int);\nCREATE TABLE `tbl_2` (`col` int);\ncreate table `tbl_3` (`col` int);\n",
            ),
            ("6_sixth.sql", b"CREATE TABLE `tbl_4` (`col` int);\n"),
        ];
        let hashes = atlas_hashes(files);
        assert_eq!(hashes[0], "uJ2MyyeTqXx4rCqtRMQAvRrfsvdwmvsZ3LcadVvCdOc=");
        assert_eq!(hashes[5], "JNhpyBtH7XKqGBNRHQ+AvM9IDpO08C3G/swWPHfLkfw=");
        let entries = files.iter().zip(&hashes).map(|((name, _), hash)| (*name, hash.as_str()));
        assert_eq!(atlas_sum(entries), "POfbsH2G2GIXAZQ2CdPa5ufTxcLpcnperz/gX0Vw6Uk=");
    }

    #[test]
    fn base64_pads_like_go() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
