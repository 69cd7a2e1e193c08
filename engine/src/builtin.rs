//! The rule language's functions, in one table: each function's name, parameter types and
//! result type are written once, in the `builtins!` invocation below, and everything else
//! (the compiler's name lookup, its arity and type checks, [`Builtin::ALL`]) is derived from
//! it. How each one is lowered is [`compile`](crate::compile)'s exhaustive `match` over
//! [`Builtin`]; how it runs is its [`Node`](crate::node::Node) variant. Documented in
//! docs/rule-language.md ("Functions"), which a test below keeps in step with this table.

use crate::value::DataType;

/// Declares [`Builtin`] and its table from one list, so a function cannot be added to the
/// enum without its name and signature, nor left out of [`Builtin::ALL`].
macro_rules! builtins {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal ($($param:ident),*) -> $result:ident;
    )*) => {
        /// A function of the rule language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Builtin {
            $($(#[$doc])* $variant,)*
        }

        impl Builtin {
            /// Every function, in the order of the table.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant),*];

            /// The name rules call it by (lowercase: the parser lowercases function names).
            pub fn name(self) -> &'static str {
                match self {
                    $(Builtin::$variant => $name,)*
                }
            }

            /// The data type of each argument, in order.
            pub fn params(self) -> &'static [DataType] {
                match self {
                    $(Builtin::$variant => &[$(DataType::$param),*],)*
                }
            }

            /// The data type of the result.
            pub fn result(self) -> DataType {
                match self {
                    $(Builtin::$variant => DataType::$result,)*
                }
            }
        }
    };
}

builtins! {
    /// `regex_match(pattern, s)`: `s` matches `pattern` as a whole; the pattern must be a
    /// string literal, so it is compiled once.
    RegexMatch = "regex_match"(String, String) -> Boolean;
    /// `lowercase(s)`
    Lowercase = "lowercase"(String) -> String;
    /// `uppercase(s)`
    Uppercase = "uppercase"(String) -> String;
    /// `getcurrentdatetime()`: the caller's clock, one time per statement.
    GetCurrentDateTime = "getcurrentdatetime"() -> DateTime;
    /// `isbefore(a, b)`
    IsBefore = "isbefore"(DateTime, DateTime) -> Boolean;
    /// `isafter(a, b)`
    IsAfter = "isafter"(DateTime, DateTime) -> Boolean;
    /// `getepochmilliseconds(dt)`: milliseconds since 1970-01-01T00:00:00Z.
    GetEpochMilliseconds = "getepochmilliseconds"(DateTime) -> Integer;
}

impl Builtin {
    /// The function a rule calls by `name` (already lowercased).
    pub fn lookup(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        self.params().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE_LANGUAGE: &str = include_str!("../../docs/rule-language.md");

    #[test]
    fn names_are_distinct_and_lowercase() {
        for (i, f) in Builtin::ALL.iter().enumerate() {
            assert_eq!(f.name(), f.name().to_ascii_lowercase(), "{f:?}");
            assert_eq!(Builtin::lookup(f.name()), Some(*f));
            assert!(
                !Builtin::ALL[..i].iter().any(|g| g.name() == f.name()),
                "{} twice",
                f.name()
            );
        }
        assert_eq!(Builtin::lookup("frobnicate"), None);
    }

    /// The "Functions" section of docs/rule-language.md (elsewhere calls appear as examples,
    /// some of them wrong on purpose).
    fn functions_section() -> &'static str {
        let start = RULE_LANGUAGE
            .find("\n## Functions\n")
            .expect("docs/rule-language.md has a Functions section");
        let section = &RULE_LANGUAGE[start + 1..];
        match section[1..].find("\n## ") {
            Some(end) => &section[..end + 1],
            None => section,
        }
    }

    /// Each function appears in docs/rule-language.md's Functions section as
    /// `` `name(a, b)` `` with as many parameters as the table gives it.
    #[test]
    fn every_builtin_is_documented_with_its_arity() {
        let doc = functions_section();
        for f in Builtin::ALL {
            let call = format!("`{}(", f.name());
            let Some(at) = doc.find(&call) else {
                panic!("docs/rule-language.md does not document {}", f.name());
            };
            let rest = &doc[at + call.len()..];
            let params = &rest[..rest.find(')').expect("a closing parenthesis")];
            let documented = params.split(',').filter(|p| !p.trim().is_empty()).count();
            assert_eq!(
                documented,
                f.arity(),
                "docs/rule-language.md gives {}({params}) but it takes {} argument(s)",
                f.name(),
                f.arity()
            );
        }
    }
}
