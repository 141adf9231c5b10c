//! `sqlx::migrate!` embeds the migration files at compile time; a file added to either
//! folder must rebuild the crate, which cargo only knows when told to watch the folder.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
