// Panics while the migrator holds the lease.
use migrata::{CodeConnection, CodeError};

pub async fn up(_conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    panic!("a code migration panicked");
}
