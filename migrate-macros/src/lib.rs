//! The `embed_migrations!()` proc macro. Use it through `migrata`,
//! which re-exports it and documents it; this crate is only the thin layer
//! that reads the directory at compile time, hands it to `migrata_core` and
//! turns the result into tokens (or a compile error).

mod expand;
mod input;
mod lint;
mod migrata_path;
mod test_attr;

use proc_macro::TokenStream;

/// Embeds every migration of a directory into the binary, checked, hashed and
/// ordered at compile time. See `migrata::embed_migrations!`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as input::Input);
    expand::expand(&input)
        .unwrap_or_else(|error| {
            // One `compile_error!` per problem; a block makes several of
            // them a single expression.
            let errors = error.into_compile_error();
            quote::quote!({ #errors })
        })
        .into()
}

/// An async test that receives a fresh, migrated database (feature
/// `testing` of migrata). See `migrata::test`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as test_attr::Args);
    test_attr::expand(args, item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
