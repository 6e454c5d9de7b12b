//! Byte offsets ↔ line:column, and PostgreSQL's character positions ↔ bytes.

/// Line starts of one text, for turning byte offsets into 1-based line:column.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { line_starts }
    }

    /// 1-based line and 1-based column (in characters) of byte `offset` in `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|start| *start <= offset);
        let start = self.line_starts[line - 1];
        let col = text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line, col)
    }
}

/// Converts a server error position (1-based, counted in characters into the
/// string that was sent) into a byte offset into that string.
pub fn byte_offset_of_char_position(sent: &str, position: u32) -> usize {
    let chars_before = (position as usize).saturating_sub(1);
    sent.char_indices().nth(chars_before).map_or(sent.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\nçé x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 3), (2, 1));
        // 'x' sits after two 2-byte characters and a space.
        assert_eq!(idx.line_col(text, text.find('x').unwrap()), (2, 4));
    }

    #[test]
    fn server_positions_count_characters() {
        let sent = "SELECT 'é' + nope";
        // PostgreSQL would report the position of `nope` as character 14.
        let byte = byte_offset_of_char_position(sent, 14);
        assert_eq!(&sent[byte..], "nope");
    }
}
