use std::path::{Path, PathBuf};

use migrate_core::{Migration, Script};
use proc_macro2::TokenStream;
use quote::quote;

use crate::input::Input;

pub fn expand(input: &Input) -> syn::Result<TokenStream> {
    let dir = resolve_dir(input)?;
    let migrations = migrate_core::load_dir_excluding(&dir, &input.exclude)
        .map_err(|errors| compile_errors(input, errors))?;
    let dir_str = dir.to_str().ok_or_else(|| {
        syn::Error::new(
            input.span,
            format!(
                "migrations directory `{}` is not valid UTF-8",
                dir.display()
            ),
        )
    })?;
    let lint_warnings = crate::lint::check(input, &migrations)?;
    let items = migrations.iter().map(|m| migration(&dir, m));
    let exclude = input.exclude.patterns();
    Ok(quote! {
        {
            #lint_warnings
            const MIGRATIONS: &[::migrate_runtime::Migration] = &[#(#items),*];
            ::migrate_runtime::Migrations::__embedded(
                MIGRATIONS,
                if ::core::cfg!(debug_assertions) { ::core::option::Option::Some(#dir_str) } else { ::core::option::Option::None },
                &[#(#exclude),*],
            )
        }
    })
}

/// One compile error per problem, all at the macro call, so a single build
/// lists every bad file.
fn compile_errors(input: &Input, errors: migrate_core::Errors) -> syn::Error {
    let mut combined: Option<syn::Error> = None;
    for error in errors {
        let message = match error {
            migrate_core::Error::MissingDir { .. } => format!(
                "migrations directory `{}` does not exist (relative paths start at the directory of the crate's Cargo.toml)",
                input.dir
            ),
            other => other.to_string(),
        };
        let error = syn::Error::new(input.span, message);
        match &mut combined {
            Some(all) => all.combine(error),
            None => combined = Some(error),
        }
    }
    combined.unwrap_or_else(|| syn::Error::new(input.span, "invalid migrations directory"))
}

fn resolve_dir(input: &Input) -> syn::Result<PathBuf> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
        syn::Error::new(
            input.span,
            "CARGO_MANIFEST_DIR is not set; embed_migrations!() must be expanded by Cargo",
        )
    })?;
    Ok(Path::new(&manifest_dir).join(&input.dir))
}

fn migration(dir: &Path, m: &Migration) -> TokenStream {
    let version = m.version;
    let name = m.name.as_ref();
    let up = script(dir, &m.up);
    let down = match &m.down {
        Some(down) => {
            let down = script(dir, down);
            quote!(::core::option::Option::Some(#down))
        }
        None => quote!(::core::option::Option::None),
    };
    let checksum = m.checksum.0;
    let diesel_version = match &m.diesel_version {
        Some(text) => {
            let text = text.as_ref();
            quote!(::core::option::Option::Some(#text))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::migrate_runtime::Migration::__embedded(#version, #name, #up, #down, [#(#checksum),*], #diesel_version)
    }
}

fn script(dir: &Path, script: &Script) -> TokenStream {
    let file = script.file.as_ref();
    let path = dir.join(file).to_string_lossy().into_owned();
    let no_transaction = script.no_transaction;
    quote! {
        ::migrate_runtime::Script::__embedded(#file, ::core::include_str!(#path), #no_transaction)
    }
}
