//! The task that runs a customer batch's statements in order, on the batch's own
//! transaction, so that the importing task builds the next rows' statements while the
//! database writes the previous ones.
//!
//! Before, each `insert` built its statements and then waited for them: the database
//! thread (sqlx's SQLite worker) idled while the rows were validated and bound, and the
//! importing task idled while they were written — one of the two cores did nothing for a
//! third of an import (measured in BENCHMARKS.md, foundation B1). With the writes queued
//! to this task, both run at once; the queue holds at most [`QUEUED`] groups of
//! statements, so memory stays bounded whatever the file's size.
//!
//! The first failing statement ends the task: the caller learns of it from its next
//! call, and the transaction is rolled back when the batch is dropped.

use super::batch::existing_mobiles_in;
use crate::unchecked::OwnedTx;
use crate::{Sql, StoreError};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Groups of statements (200 customers each) waiting to be written: 2,000 rows, one
/// parser batch, so the database keeps writing while the importing task looks up the
/// next batch's mobile numbers (2 groups: 96k rows/s, 10: 116k, 20: 113k; BENCHMARKS.md).
const QUEUED: usize = 10;

type Mobiles = HashMap<String, (String, String)>;

enum Command {
    Write(Vec<Sql>),
    /// Reads through the transaction, after every write queued before it.
    Mobiles(Vec<String>, oneshot::Sender<Result<Mobiles, StoreError>>),
}

/// The transaction back from the task, with the first error if a statement failed.
type Finished = (OwnedTx, Result<(), StoreError>);

pub(super) struct BatchWriter {
    queue: Option<mpsc::Sender<Command>>,
    task: Option<JoinHandle<Finished>>,
}

impl BatchWriter {
    pub(super) fn spawn(tx: OwnedTx, backend: crate::Backend) -> Self {
        let (queue, rx) = mpsc::channel(QUEUED);
        BatchWriter {
            queue: Some(queue),
            task: Some(tokio::spawn(run(tx, backend, rx))),
        }
    }

    /// Queues statements; waits only while the queue is full. An error is that of an
    /// earlier group: the one that stopped the writer.
    pub(super) async fn write(&mut self, statements: Vec<Sql>) -> Result<(), StoreError> {
        let sent = match &self.queue {
            Some(queue) => queue.send(Command::Write(statements)).await.is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            Err(self.failure().await)
        }
    }

    /// Which of `values` are taken mobile numbers, as the transaction sees them once
    /// everything queued so far is written.
    pub(super) async fn mobiles(&mut self, values: Vec<String>) -> Result<Mobiles, StoreError> {
        let (reply, answer) = oneshot::channel();
        let sent = match &self.queue {
            Some(queue) => queue.send(Command::Mobiles(values, reply)).await.is_ok(),
            None => false,
        };
        match answer.await {
            Ok(found) if sent => found,
            _ => Err(self.failure().await),
        }
    }

    /// Waits for every queued statement and hands the transaction back.
    pub(super) async fn finish(mut self) -> Result<OwnedTx, StoreError> {
        self.queue = None;
        let (tx, result) = self.join().await?;
        result.map(|()| tx)
    }

    /// The error that stopped the writer. The transaction is dropped, which rolls it back.
    async fn failure(&mut self) -> StoreError {
        self.queue = None;
        match self.join().await {
            Ok((_, Err(e))) | Err(e) => e,
            Ok((_, Ok(()))) => StoreError::Refused("the batch's writer stopped".into()),
        }
    }

    async fn join(&mut self) -> Result<Finished, StoreError> {
        let task = self
            .task
            .take()
            .ok_or_else(|| StoreError::Refused("the batch's writer stopped".into()))?;
        task.await
            .map_err(|e| StoreError::Refused(format!("the batch's writer failed: {e}")))
    }
}

impl Drop for BatchWriter {
    /// A batch dropped before its commit: what is still queued is not written, and the
    /// task's transaction is dropped with it, which rolls it back.
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn run(
    mut tx: OwnedTx,
    backend: crate::Backend,
    mut queue: mpsc::Receiver<Command>,
) -> Finished {
    while let Some(command) = queue.recv().await {
        match command {
            Command::Write(statements) => {
                for sql in &statements {
                    if let Err(e) = sql.query().execute(tx.conn()).await {
                        return (tx, Err(e.into()));
                    }
                }
            }
            Command::Mobiles(values, reply) => {
                let found = existing_mobiles_in(tx.conn(), backend, &values).await;
                let _ = reply.send(found);
            }
        }
    }
    (tx, Ok(()))
}
