//! What a DETECTORPL expression refers to: `$variables` and `@lists`, found by a lexical scan
//! that skips string literals (so `regex_match(".*@gmail\.com", $email)` names no list).
//!
//! The catalog uses this to record which lists a rule version depends on, which is what keeps
//! a list in use from being deleted.

/// The names an expression refers to, in order of first appearance, without repeats.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct References {
    pub variables: Vec<String>,
    pub lists: Vec<String>,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Scans `expression` for `$name` and `@name` outside double-quoted strings. A string's
/// escapes (`\"`, `\\`) are honoured; an unterminated string ends the scan.
pub fn references(expression: &str) -> References {
    let mut refs = References::default();
    let mut chars = expression.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                // skip to the closing quote, stepping over escaped characters
                while let Some((_, s)) = chars.next() {
                    match s {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '$' | '@' => {
                let start = i + 1;
                let mut end = start;
                while let Some(&(j, n)) = chars.peek() {
                    if !is_name_char(n) {
                        break;
                    }
                    end = j + n.len_utf8();
                    chars.next();
                }
                if end > start {
                    let name = &expression[start..end];
                    let into = if c == '$' {
                        &mut refs.variables
                    } else {
                        &mut refs.lists
                    };
                    if !into.iter().any(|n| n == name) {
                        into.push(name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_variables_and_lists_in_order_without_repeats() {
        let r =
            references("$ip in @blocked_ips or ($price > 100 and $ip not in @vpn) or $price < 0");
        assert_eq!(r.variables, names(&["ip", "price"]));
        assert_eq!(r.lists, names(&["blocked_ips", "vpn"]));
    }

    #[test]
    fn ignores_names_inside_strings() {
        let r =
            references(r#"regex_match(".*@gmail\.com", $email) and $name == "$not_a_var @nolist""#);
        assert_eq!(r.variables, names(&["email", "name"]));
        assert!(r.lists.is_empty());
    }

    #[test]
    fn honours_escaped_quotes() {
        let r = references(r#"$a == "say \"@x\" \\" and $b in @l"#);
        assert_eq!(r.variables, names(&["a", "b"]));
        assert_eq!(r.lists, names(&["l"]));
    }

    #[test]
    fn unterminated_string_and_bare_sigils_are_harmless() {
        assert_eq!(references("$ and @ and $"), References::default());
        let r = references(r#"$x == "open @list"#);
        assert_eq!(r.variables, names(&["x"]));
        assert!(r.lists.is_empty());
    }

    #[test]
    fn multibyte_text_does_not_split_characters() {
        let r = references("$café == \"ü\" or @liste_é");
        // names stop at the first non-ASCII character
        assert_eq!(r.variables, names(&["caf"]));
        assert_eq!(r.lists, names(&["liste_"]));
    }
}
