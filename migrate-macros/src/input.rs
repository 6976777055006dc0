use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitInt, LitStr, Token};

/// `embed_migrations!()`, `embed_migrations!("path/relative/to/Cargo.toml")`,
/// optionally followed (or, without a path, started) by options:
/// `exclude = ["<pattern>", ...]` and the lint's `database = "postgres"`,
/// `lint_after = <version>`, `allow = ["<rule>", ...]`,
/// `deny_warnings = true`, and `crate = path`.
pub struct Input {
    pub dir: String,
    pub span: Span,
    /// Files and subdirectories of `dir` that are not migrations.
    pub exclude: migrata_core::Exclude,
    /// The target database the lint checks the scripts for.
    pub database: Option<migrata_lint::Database>,
    /// Migrations up to this version are taken as applied and not linted.
    pub lint_after: Option<i64>,
    /// Lint rules turned off for every script.
    pub allow: Vec<migrata_lint::Rule>,
    /// `deny_warnings = true`: lint warnings are compile errors too.
    pub deny_warnings: bool,
    /// `crate = path`: where the generated code finds migrata.
    pub krate: Option<syn::Path>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut parsed = Input {
            dir: "migrations".to_owned(),
            span: Span::call_site(),
            exclude: migrata_core::Exclude::default(),
            database: None,
            lint_after: None,
            allow: Vec::new(),
            deny_warnings: false,
            krate: None,
        };
        if input.is_empty() {
            return Ok(parsed);
        }
        let starts_with_option = input.peek(Ident::peek_any) && input.peek2(Token![=]);
        if !starts_with_option {
            let lit: LitStr = input.parse()?;
            parsed.dir = lit.value();
            parsed.span = lit.span();
            if input.is_empty() {
                return Ok(parsed);
            }
            let _: Token![,] = input.parse()?;
        }
        while !input.is_empty() {
            if !input.peek(Ident::peek_any) {
                return Err(input.error(
                    "expected the migrations directory (a string literal) first, then `exclude = [\"<pattern>\", ...]`, `database = \"postgres\" | \"mysql\" | \"sqlite\"`, `lint_after = <version>`, `allow = [\"<rule>\", ...]`, `deny_warnings = true` or `crate = path`",
                ));
            }
            // `parse_any`: the `crate` key is a keyword.
            let key = input.call(Ident::parse_any)?;
            let _: Token![=] = input.parse()?;
            match key.to_string().as_str() {
                "exclude" => {
                    let list;
                    syn::bracketed!(list in input);
                    for pattern in list.parse_terminated(|p| p.parse::<LitStr>(), Token![,])? {
                        parsed
                            .exclude
                            .push(pattern.value())
                            .map_err(|e| syn::Error::new(pattern.span(), e))?;
                    }
                }
                "database" => {
                    let value: LitStr = input.parse()?;
                    let database = value
                        .value()
                        .parse()
                        .map_err(|e| syn::Error::new(value.span(), e))?;
                    parsed.database = Some(database);
                }
                "lint_after" => {
                    let value: LitInt = input.parse()?;
                    parsed.lint_after = Some(value.base10_parse()?);
                }
                "allow" => {
                    let list;
                    syn::bracketed!(list in input);
                    for name in list.parse_terminated(|p| p.parse::<LitStr>(), Token![,])? {
                        let rule = name.value().parse().map_err(|e| {
                            syn::Error::new(
                                name.span(),
                                format!("{e}: see migrata::lint::Rule"),
                            )
                        })?;
                        parsed.allow.push(rule);
                    }
                }
                "deny_warnings" => {
                    let value: syn::LitBool = input.parse()?;
                    parsed.deny_warnings = value.value;
                }
                "crate" => parsed.krate = Some(crate::migrata_path::parse(input)?),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                        "unknown option `{other}`: expected `exclude`, `database`, `lint_after`, `allow`, `deny_warnings` or `crate`"
                    ),
                    ))
                }
            }
            if !input.is_empty() {
                let _: Token![,] = input.parse()?;
            }
        }
        Ok(parsed)
    }
}
