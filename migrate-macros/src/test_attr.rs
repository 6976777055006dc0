//! `#[migrata::test(MIGRATIONS)]`: an async test that receives a
//! fresh, migrated database. The expansion is a plain `#[test]` function
//! that hands the test (kept as an inner `async fn`) to
//! `migrata::testing::__run_test`, where the work is done.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::quote;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// The variable holding the base URL unless `url = "..."` names another.
const DEFAULT_URL_VARIABLE: &str = "DATABASE_URL";

/// `MIGRATIONS` (an expression of type `Migrations`), then optionally
/// `url = "ENV_VAR"` and `crate = path`.
pub struct Args {
    migrations: TokenStream,
    url_variable: LitStr,
    /// Where the generated code finds migrata, if the call says.
    krate: Option<syn::Path>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut migrations = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            migrations.extend([input.parse::<TokenTree>()?]);
        }
        if migrations.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "name the migrations first: `#[migrata::test(MIGRATIONS)]`, where `MIGRATIONS` is the `static` holding `embed_migrations!()`",
            ));
        }
        let mut url_variable = LitStr::new(DEFAULT_URL_VARIABLE, Span::call_site());
        let mut krate = None;
        while input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            // `parse_any`: the `crate` key is a keyword.
            let key = input.call(Ident::parse_any)?;
            if key != "url" && key != "crate" {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown option `{key}`: the options are `url = \"ENV_VAR\"`, the environment variable holding the base URL (default `{DEFAULT_URL_VARIABLE}`), and `crate = path`, where migrata is reachable"),
                ));
            }
            let _: Token![=] = input.parse()?;
            if key == "crate" {
                krate = Some(crate::migrata_path::parse(input)?);
                continue;
            }
            url_variable = input.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    "`url = \"ENV_VAR\"` takes the name of an environment variable, as a string literal",
                )
            })?;
        }
        Ok(Args {
            migrations,
            url_variable,
            krate,
        })
    }
}

/// The parts of the annotated `async fn` the expansion needs.
struct TestFn {
    /// Attributes and visibility, kept on the `#[test]` function.
    outer: TokenStream,
    name: Ident,
    params: TokenStream,
    /// `-> Type`, or nothing.
    output: TokenStream,
    body: TokenStream,
}

const SHAPE: &str = "`#[migrata::test]` goes on `async fn name(db: &TestDatabase) { ... }` (optionally returning a `Result`)";

fn parse_fn(item: TokenStream) -> syn::Result<TestFn> {
    let mut tokens = item.into_iter().peekable();
    let mut outer = TokenStream::new();
    let mut is_async = false;
    // Attributes, visibility and qualifiers, up to `fn`.
    loop {
        match tokens.next() {
            Some(TokenTree::Ident(ident)) if ident == "fn" => {
                if !is_async {
                    return Err(syn::Error::new(
                        ident.span(),
                        format!("the test must be an `async fn`: {SHAPE}"),
                    ));
                }
                break;
            }
            Some(TokenTree::Ident(ident)) if ident == "async" => is_async = true,
            Some(token) => outer.extend([token]),
            None => return Err(syn::Error::new(Span::call_site(), SHAPE)),
        }
    }
    let name = match tokens.next() {
        Some(TokenTree::Ident(name)) => name,
        _ => return Err(syn::Error::new(Span::call_site(), SHAPE)),
    };
    let params = match tokens.next() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => group,
        Some(other) => {
            return Err(syn::Error::new(
                other.span(),
                format!("a test takes no generic parameters: {SHAPE}"),
            ))
        }
        None => return Err(syn::Error::new(name.span(), SHAPE)),
    };
    if count_params(params.stream()) != 1 {
        return Err(syn::Error::new(
            params.span(),
            format!("the test takes exactly one parameter, the database: {SHAPE}"),
        ));
    }
    let mut output = TokenStream::new();
    let body = loop {
        match tokens.next() {
            Some(TokenTree::Group(group))
                if group.delimiter() == Delimiter::Brace && tokens.peek().is_none() =>
            {
                break group.stream();
            }
            Some(TokenTree::Ident(ident)) if ident == "where" => {
                return Err(syn::Error::new(
                    ident.span(),
                    format!("a test takes no `where` clause: {SHAPE}"),
                ))
            }
            Some(token) => output.extend([token]),
            None => return Err(syn::Error::new(name.span(), SHAPE)),
        }
    };
    Ok(TestFn {
        outer,
        name,
        params: params.stream(),
        output,
        body,
    })
}

/// Parameters in a parenthesized list: commas outside `<...>` split them
/// (groups hide theirs), and a trailing comma adds none.
fn count_params(params: TokenStream) -> usize {
    let mut count = 0;
    let mut depth = 0i32;
    let mut pending = false;
    for token in params {
        match &token {
            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
            TokenTree::Punct(p) if p.as_char() == '>' => depth -= 1,
            TokenTree::Punct(p) if p.as_char() == ',' && depth == 0 => {
                count += usize::from(pending);
                pending = false;
                continue;
            }
            _ => {}
        }
        pending = true;
    }
    count + usize::from(pending)
}

pub fn expand(args: Args, item: TokenStream) -> syn::Result<TokenStream> {
    let TestFn {
        outer,
        name,
        params,
        output,
        body,
    } = parse_fn(item)?;
    let Args {
        migrations,
        url_variable,
        krate,
    } = args;
    let migrata = crate::migrata_path::resolve(krate.as_ref());
    let test_path = quote!(::core::concat!(
        ::core::module_path!(),
        "::",
        ::core::stringify!(#name)
    ));
    Ok(quote! {
        #[::core::prelude::v1::test]
        #outer fn #name() #output {
            async fn #name(#params) #output { #body }
            #migrata::testing::__run_test(&#migrations, #url_variable, #test_path, #name)
        }
    })
}
