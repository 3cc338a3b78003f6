//! `gatehouse-openapi`: writes the API description (`docs/openapi.json`) from the route
//! table. Run by `make openapi`; built only with the `openapi` feature, so no Lambda
//! binary carries OpenAPI code.
//!
//! ```text
//! gatehouse-openapi [FILE]   (default: docs/openapi.json of this workspace)
//! ```

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        format!(
            "{}/../{}",
            env!("CARGO_MANIFEST_DIR"),
            gatehouse_local::openapi::SPEC_PATH
        )
    });
    std::fs::write(&path, gatehouse_local::openapi::generate())?;
    eprintln!("gatehouse-openapi: wrote {path}");
    Ok(())
}
