use std::path::{Path, PathBuf};

use migrata_core::{Language, Migration, Script};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::input::Input;

pub fn expand(input: &Input) -> syn::Result<TokenStream> {
    let dir = resolve_dir(input)?;
    let migrations = migrata_core::load_dir_excluding(&dir, &input.exclude)
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
    let migrata = crate::migrata_path::resolve(input.krate.as_ref());
    let items = migrations.iter().map(|m| migration(&migrata, &dir, m));
    let code: Vec<&Migration> = migrations.iter().filter(|m| m.is_code()).collect();
    let modules = code.iter().map(|m| code_module(&migrata, &dir, m));
    let compiled = code.iter().map(|m| compiled_code(&migrata, m));
    let exclude = input.exclude.patterns();
    Ok(quote! {
        {
            #lint_warnings
            #(#modules)*
            const MIGRATIONS: &[#migrata::Migration] = &[#(#items),*];
            const CODE: &[#migrata::CompiledCode] = &[#(#compiled),*];
            #migrata::Migrations::__embedded(
                MIGRATIONS,
                CODE,
                if ::core::cfg!(debug_assertions) { ::core::option::Option::Some(#dir_str) } else { ::core::option::Option::None },
                &[#(#exclude),*],
            )
        }
    })
}

/// One compile error per problem, all at the macro call, so a single build
/// lists every bad file.
fn compile_errors(input: &Input, errors: migrata_core::Errors) -> syn::Error {
    let mut combined: Option<syn::Error> = None;
    for error in errors {
        let message = match error {
            migrata_core::Error::MissingDir { .. } => format!(
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

fn migration(migrata: &TokenStream, dir: &Path, m: &Migration) -> TokenStream {
    let version = m.version;
    let name = m.name.as_ref();
    let up = script(migrata, dir, &m.up);
    let down = match &m.down {
        Some(down) => {
            let down = script(migrata, dir, down);
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
    if m.is_repeatable() {
        return quote! {
            #migrata::Migration::__embedded_repeatable(#version, #name, #up, [#(#checksum),*])
        };
    }
    let contract = m.is_contract().then(|| quote!(.__contract()));
    let baseline = m.is_baseline().then(|| quote!(.__baseline()));
    quote! {
        #migrata::Migration::__embedded(#version, #name, #up, #down, [#(#checksum),*], #diesel_version)#contract #baseline
    }
}

fn script(migrata: &TokenStream, dir: &Path, script: &Script) -> TokenStream {
    let file = script.file.as_ref();
    let path = dir.join(file).to_string_lossy().into_owned();
    let no_transaction = script.no_transaction;
    let constructor = match script.language {
        Language::Rust => quote!(__embedded_code),
        _ => quote!(__embedded),
    };
    quote! {
        #migrata::Script::#constructor(#file, ::core::include_str!(#path), #no_transaction)
    }
}

/// The module holding a code migration's file, compiled as part of the
/// calling crate (`include!` also makes an edit rebuild it), and the
/// wrappers that give its `up` and `down` one function-pointer type.
fn code_module(migrata: &TokenStream, dir: &Path, m: &Migration) -> TokenStream {
    let module = code_module_name(m);
    let path = dir.join(m.up.file.as_ref()).to_string_lossy().into_owned();
    let wrapper = |name: &str, function: &str| {
        let name = Ident::new(name, Span::call_site());
        let function = Ident::new(function, Span::call_site());
        quote! {
            pub(super) fn #name<'a, 'c>(
                conn: &'a mut #migrata::CodeConnection<'c>,
            ) -> #migrata::CodeFuture<'a> {
                #migrata::__code_future(#function(conn))
            }
        }
    };
    let up = wrapper("__migrate_up", "up");
    let down = m.down.is_some().then(|| wrapper("__migrate_down", "down"));
    quote! {
        #[doc(hidden)]
        mod #module {
            ::core::include!(#path);
            #up
            #down
        }
    }
}

/// The compiled functions of a code migration, for the runtime's table.
fn compiled_code(migrata: &TokenStream, m: &Migration) -> TokenStream {
    let version = m.version;
    let module = code_module_name(m);
    let down = match &m.down {
        Some(_) => quote!(::core::option::Option::Some(#module::__migrate_down)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #migrata::CompiledCode::__embedded(#version, #module::__migrate_up, #down)
    }
}

fn code_module_name(m: &Migration) -> Ident {
    Ident::new(&format!("__migration_{}", m.version), Span::call_site())
}
