//! The path the generated code reaches migrata by. An app may rename the
//! dependency (`db = { package = "migrata", .. }`), so `::migrata` is not
//! always in scope; the caller's Cargo.toml says what is, and an explicit
//! `crate = path` argument covers what a manifest cannot show (migrata
//! reached through another crate's re-export).

use proc_macro2::{Span, TokenStream};
use proc_macro_crate::FoundCrate;
use quote::{quote, ToTokens};
use syn::parse::ParseStream;
use syn::Ident;

/// The name migrata's package has on crates.io, and the one its own
/// targets use.
const PACKAGE: &str = "migrata";

/// Parses the value of a `crate = path` argument.
pub fn parse(input: ParseStream) -> syn::Result<syn::Path> {
    input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "`crate = path` takes the path migrata is reachable at, not a string: e.g. `crate = db` when Cargo.toml says `db = { package = \"migrata\", .. }`",
        )
    })
}

/// `explicit` if the call named one, else `::<name>` for the name the
/// caller's Cargo.toml gives migrata.
pub fn resolve(explicit: Option<&syn::Path>) -> TokenStream {
    if let Some(path) = explicit {
        return path.to_token_stream();
    }
    let renamed = match proc_macro_crate::crate_name(PACKAGE) {
        Ok(FoundCrate::Name(name)) => syn::parse_str::<Ident>(&name).ok(),
        // `Itself`: migrata's own doctests, examples and binaries, which
        // link it as `migrata`. An error (no Cargo.toml, or migrata not in
        // it): `::migrata` is still the likeliest, and rustc's error at the
        // call names the missing crate, which `crate = path` fixes.
        Ok(FoundCrate::Itself) | Err(_) => None,
    };
    let ident = renamed.unwrap_or_else(|| Ident::new(PACKAGE, Span::call_site()));
    quote!(::#ident)
}
