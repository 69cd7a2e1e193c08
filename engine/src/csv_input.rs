//! The records of a CSV file read by a batch import, one at a time, where a broken record
//! fails alone (docs/sql-reference.md, "Batch import").
//!
//! RFC 4180 with PostgreSQL's `COPY ... (FORMAT csv)` conventions: fields separated by commas,
//! records by `\n` or `\r\n`; a field may be quoted with `"`, a quote inside it doubled, and a
//! quoted field may span lines. Unlike COPY (and the `csv` crate, which never reports an error)
//! the reader is strict about quotes, so that a stray quote cannot silently swallow the lines
//! that follow it: a quote inside an unquoted field, a closing quote followed by anything but
//! a comma or the end of the line, or a quoted field still open after [`MAX_RECORD_BYTES`] or
//! at the end of the file make the record broken. Reading then resumes at the line after the
//! one where the broken record started, so every other line is still read as itself. (A
//! well-formed record with a field that is not UTF-8 text, or holds a NUL byte, fails whole.)
//!
//! The reader knows the byte offset and line number of the next record ([`Records::position`]),
//! so that a job can stop after any record and resume there in another transaction.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

/// A quoted field still open after this many bytes of its record is taken for a missing
/// closing quote.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// One record: the line it starts on (1-based, the header is line 1) and its fields, or why
/// it is broken (a sentence without the line number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: u64,
    pub fields: Result<Vec<String>, String>,
}

/// Where the next record starts: byte offset in the file and line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub offset: u64,
    pub line: u64,
}

/// The records of `src`, which starts at `start` (the beginning of a line).
pub struct Records<R> {
    src: R,
    /// physical lines read ahead and given back after a broken record, in order
    pending: VecDeque<Vec<u8>>,
    next: Position,
}

enum Parse {
    Fields(Vec<String>),
    /// a quoted field is still open at the end of the bytes given
    Open,
    /// not a well-formed record: it is then its first line alone
    Broken(String),
    /// well formed, but a field is not text: the whole record fails
    Bad(String),
}

impl<R: BufRead> Records<R> {
    pub fn new(src: R, start: Position) -> Records<R> {
        Records {
            src,
            pending: VecDeque::new(),
            next: start,
        }
    }

    /// Where the next record starts.
    pub fn position(&self) -> Position {
        self.next
    }

    fn physical_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        if let Some(l) = self.pending.pop_front() {
            return Ok(Some(l));
        }
        // at most MAX_RECORD_BYTES + 1 bytes: a longer line is refused, not held in memory
        let mut buf = Vec::new();
        let limit = MAX_RECORD_BYTES as u64 + 1;
        if (&mut self.src).take(limit).read_until(b'\n', &mut buf)? == 0 {
            return Ok(None);
        }
        if buf.len() as u64 == limit && buf.last() != Some(&b'\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the record at line {} has a line longer than {} MiB",
                    self.next.line,
                    MAX_RECORD_BYTES >> 20
                ),
            ));
        }
        Ok(Some(buf))
    }

    /// The next record, or None at the end of the file. Only I/O fails; a broken record is a
    /// [`Record`] with an error.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        self.read(true)
    }

    /// Skips the next record (read as [`Records::next_record`] would, without making its
    /// fields); false at the end of the file.
    pub fn skip_record(&mut self) -> io::Result<bool> {
        Ok(self.read(false)?.is_some())
    }

    fn read(&mut self, build: bool) -> io::Result<Option<Record>> {
        let Some(mut bytes) = self.physical_line()? else {
            return Ok(None);
        };
        let line = self.next.line;
        // a byte order mark, which some editors write at the start of a file, is not data
        let bom = if self.next.offset == 0 && bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        // where each physical line of the record ends in `bytes`
        let mut ends = vec![bytes.len()];
        loop {
            let why = match parse(&bytes[bom..], build) {
                Parse::Fields(fields) => {
                    self.next.offset += bytes.len() as u64;
                    self.next.line += ends.len() as u64;
                    return Ok(Some(Record {
                        line,
                        fields: Ok(fields),
                    }));
                }
                Parse::Open if bytes.len() <= MAX_RECORD_BYTES => match self.physical_line()? {
                    Some(mut more) => {
                        // a line without a quote leaves the open field open: read on without
                        // parsing the record again (a quote followed by many lines stays linear)
                        loop {
                            let quote_free = !more.contains(&b'"');
                            bytes.extend_from_slice(&more);
                            ends.push(bytes.len());
                            if !quote_free || bytes.len() > MAX_RECORD_BYTES {
                                break;
                            }
                            match self.physical_line()? {
                                Some(m) => more = m,
                                None => break,
                            }
                        }
                        continue;
                    }
                    None => "bad quoting: a quoted field is not closed by the end of the file".to_string(),
                },
                Parse::Open => format!(
                    "bad quoting: a quoted field is still open after {} MiB (a closing quote is missing)",
                    MAX_RECORD_BYTES >> 20
                ),
                Parse::Broken(why) => why,
                Parse::Bad(why) => {
                    self.next.offset += bytes.len() as u64;
                    self.next.line += ends.len() as u64;
                    return Ok(Some(Record {
                        line,
                        fields: Err(why),
                    }));
                }
            };
            // a broken record is its first line only: the lines read after it are given back
            for w in ends.windows(2).rev() {
                self.pending.push_front(bytes[w[0]..w[1]].to_vec());
            }
            self.next.offset += ends[0] as u64;
            self.next.line += 1;
            return Ok(Some(Record {
                line,
                fields: Err(why),
            }));
        }
    }
}

fn field(raw: &[u8]) -> Result<String, String> {
    if raw.contains(&0) {
        return Err("a field contains a NUL byte".into());
    }
    std::str::from_utf8(raw)
        .map(str::to_string)
        .map_err(|_| "a field is not valid UTF-8".into())
}

/// The fields of one record: `bytes` is one or more physical lines, the last one ending in
/// `\n` unless it is the end of the file. Without `build`, only the structure is checked and
/// no field is made (counting records).
fn parse(bytes: &[u8], build: bool) -> Parse {
    // the record ends at the final line break
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let mut fields = Vec::new();
    let mut bad_content = None;
    let mut i = 0;
    let mut quoted = Vec::new();
    loop {
        let raw: &[u8] = if body.get(i) == Some(&b'"') {
            i += 1;
            quoted.clear();
            loop {
                let Some(q) = body[i..].iter().position(|&c| c == b'"') else {
                    // the closing quote may be on a later line (or was the stripped `\r`)
                    return Parse::Open;
                };
                if build {
                    quoted.extend_from_slice(&body[i..i + q]);
                }
                i += q + 1;
                if body.get(i) == Some(&b'"') {
                    if build {
                        quoted.push(b'"');
                    }
                    i += 1;
                } else {
                    break;
                }
            }
            match body.get(i) {
                None | Some(b',') => {}
                Some(_) => {
                    return Parse::Broken(
                        "bad quoting: a closing quote must be followed by a comma or the end of the line".into(),
                    )
                }
            }
            &quoted
        } else {
            let start = i;
            let len = body[i..]
                .iter()
                .position(|&c| c == b',' || c == b'"' || c == b'\n')
                .unwrap_or(body.len() - i);
            i += len;
            match body.get(i) {
                Some(b'"') => {
                    return Parse::Broken(
                        "bad quoting: a quote inside an unquoted field (quote the whole field and double the quotes in it)"
                            .into(),
                    )
                }
                // only inside a quoted field can a record span lines
                Some(b'\n') => return Parse::Broken("a line break outside quotes".into()),
                _ => {}
            }
            &body[start..i]
        };
        if build && bad_content.is_none() {
            match field(raw) {
                Ok(f) => fields.push(f),
                Err(e) => bad_content = Some(e),
            }
        }
        if body.get(i) == Some(&b',') {
            i += 1;
        } else if let Some(why) = bad_content {
            return Parse::Bad(why);
        } else {
            return Parse::Fields(fields);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<(u64, Result<Vec<String>, String>)> {
        let mut r = Records::new(text.as_bytes(), Position { offset: 0, line: 1 });
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push((rec.line, rec.fields));
        }
        assert_eq!(r.position().offset, text.len() as u64);
        out
    }

    fn ok(v: &[&str]) -> Result<Vec<String>, String> {
        Ok(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn plain_and_quoted_fields() {
        assert_eq!(
            all("a,b,c\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n,,\n"),
            vec![
                (1, ok(&["a", "b", "c"])),
                (2, ok(&["1", "x,y", "say \"hi\""])),
                (3, ok(&["", "", ""])),
            ]
        );
        // no line break after the last record
        assert_eq!(all("a\n1"), vec![(1, ok(&["a"])), (2, ok(&["1"]))]);
    }

    #[test]
    fn a_byte_order_mark_is_not_data() {
        assert_eq!(
            all("\u{feff}a,b\n1,2\n"),
            vec![(1, ok(&["a", "b"])), (2, ok(&["1", "2"]))]
        );
    }

    #[test]
    fn many_quote_free_lines_in_a_quoted_field() {
        let text = format!("a,b\n\"{}end\",x\nc,d\n", "\n".repeat(3000));
        let out = all(&text);
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[1].1,
            Ok(vec![format!("{}end", "\n".repeat(3000)), "x".to_string()])
        );
        assert_eq!(out[2].0, 3003);
    }

    #[test]
    fn a_line_over_the_limit_is_an_error_not_a_buffer() {
        let text = format!("a\n{}\n", "x".repeat(MAX_RECORD_BYTES + 10));
        let mut r = Records::new(text.as_bytes(), Position { offset: 0, line: 1 });
        assert!(r.next_record().unwrap().is_some());
        let e = r.next_record().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn quoted_field_spans_lines() {
        assert_eq!(
            all("a,b\n\"two\nlines\",x\nc,d\n"),
            vec![
                (1, ok(&["a", "b"])),
                (2, ok(&["two\nlines", "x"])),
                (4, ok(&["c", "d"]))
            ]
        );
    }

    #[test]
    fn broken_quotes_fail_one_line() {
        let got = all("h,i\n\"ab\"c,d\nok,1\nx\"y,2\n\"open,3\nok,4\nok,5\n");
        assert_eq!(got[0], (1, ok(&["h", "i"])));
        assert!(matches!(&got[1], (2, Err(e)) if e.contains("closing quote must be followed")));
        assert_eq!(got[2], (3, ok(&["ok", "1"])));
        assert!(matches!(&got[3], (4, Err(e)) if e.contains("quote inside an unquoted field")));
        // the unterminated quote would swallow the rest: the record is line 5 alone
        assert!(matches!(&got[4], (5, Err(e)) if e.contains("not closed by the end of the file")));
        assert_eq!(got[5], (6, ok(&["ok", "4"])));
        assert_eq!(got[6], (7, ok(&["ok", "5"])));
        assert_eq!(got.len(), 7);
    }

    #[test]
    fn open_quote_closed_lines_later_by_a_broken_quote() {
        // line 2 opens a field that line 3 "closes" badly: line 2 fails, line 3 is read again
        let got = all("h\n\"a\nb\"c\nz\n");
        assert!(matches!(&got[1], (2, Err(_))));
        assert!(matches!(&got[2], (3, Err(e)) if e.contains("quote inside an unquoted field")));
        assert_eq!(got[3], (4, ok(&["z"])));
    }

    #[test]
    fn bytes_that_are_not_text() {
        let mut r = Records::new(
            &b"a\n\xff\x01\nb\x00\nc\n"[..],
            Position { offset: 0, line: 1 },
        );
        let mut lines = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            lines.push((rec.line, rec.fields.is_ok()));
        }
        assert_eq!(lines, vec![(1, true), (2, false), (3, false), (4, true)]);
        // a well-formed record spanning lines fails whole: reading goes on after it
        let mut r = Records::new(
            &b"h\n\"\xff\nx\",1\nz\n"[..],
            Position { offset: 0, line: 1 },
        );
        r.next_record().unwrap();
        assert!(r.next_record().unwrap().unwrap().fields.is_err());
        assert_eq!(r.next_record().unwrap().unwrap().line, 4);
    }

    #[test]
    fn resumes_at_a_position() {
        let text = "h,i\n1,2\n\"3\n\",4\n5,6\n";
        let mut r = Records::new(text.as_bytes(), Position { offset: 0, line: 1 });
        r.next_record().unwrap();
        r.next_record().unwrap();
        let at = r.position();
        assert_eq!(at, Position { offset: 8, line: 3 });
        let mut again = Records::new(&text.as_bytes()[at.offset as usize..], at);
        assert_eq!(
            again.next_record().unwrap().unwrap().fields,
            ok(&["3\n", "4"])
        );
        assert_eq!(again.next_record().unwrap().unwrap().line, 5);
        // skipping reads the same records
        let mut skip = Records::new(text.as_bytes(), Position { offset: 0, line: 1 });
        let mut n = 0;
        while skip.skip_record().unwrap() {
            n += 1;
        }
        assert_eq!((n, skip.position().offset), (4, text.len() as u64));
    }
}
