use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::LitStr;

/// `embed_migrations!()` or `embed_migrations!("path/relative/to/Cargo.toml")`.
pub struct Input {
    pub dir: String,
    pub span: Span,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Input {
                dir: "migrations".to_owned(),
                span: Span::call_site(),
            });
        }
        let lit: LitStr = input.parse()?;
        let _: Option<syn::Token![,]> = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("expected a single string literal: the migrations directory"));
        }
        Ok(Input {
            dir: lit.value(),
            span: lit.span(),
        })
    }
}
