//! Tasks of a Label Studio list parsed and converted on several threads, records handed on in
//! list order.
//!
//! One thread cuts the file into batches ([`Splitter`]); each worker takes whole batches and
//! turns them into records with a fork of the task reader (the same config, its own
//! diagnostics); the calling thread puts the batches back in order and hands their records
//! and diagnostics on. A batch stops at its first error; the caller stops at the first error
//! in list order, so what is reported is what one thread would have reported.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

use super::json::Path;
use super::read::{entry, parse_element, split_error, ReadState, BATCH_BYTES};
use super::split::{Batch, Splitter};
use crate::diag::{Diagnostics, InputError};
use crate::record::RecordFold;

/// A converted batch: its records gathered into a part, how many, what was reported, and the
/// error it stopped at.
struct Converted<P> {
    part: P,
    records: usize,
    diagnostics: Diagnostics,
    error: Option<InputError>,
}

/// `fold` gathers each batch's records on its worker; the parts go to `sink` in list order.
pub(super) fn convert_batches<R: Read + Send, F: RecordFold>(
    mut splitter: Splitter<R>,
    state: &mut ReadState<'_>,
    workers: usize,
    fold: &F,
    sink: &mut dyn FnMut(F::Part),
) -> Result<(), InputError> {
    let file = state.tasks.file();
    let forks: Vec<_> = (0..workers).map(|_| state.tasks.fork()).collect();
    std::thread::scope(|scope| {
        // The queue's receiving end lives as long as a worker does, and the results' as long
        // as this call: when the caller stops at an error, workers stop on their next send, the
        // queue closes, and the splitter stops on its next send; nothing waits forever.
        let (work, queue) = sync_channel::<(usize, Result<Batch, InputError>)>(workers);
        let queue = Arc::new(Mutex::new(queue));
        let (done, finished) = sync_channel::<(usize, Converted<F::Part>)>(workers * 2);
        // Read batches' bytes go back to the splitter, to be filled again.
        let (give_back, given_back) = sync_channel::<Vec<u8>>(workers * 2);
        scope.spawn(move || {
            let mut sequence = 0;
            loop {
                if let Ok(bytes) = given_back.try_recv() {
                    splitter.reuse(bytes);
                }
                let next = match splitter.next_batch(BATCH_BYTES) {
                    Ok(Some(batch)) => Ok(batch),
                    Ok(None) => return,
                    Err(e) => Err(split_error(file, e)),
                };
                let failed = next.is_err();
                // The queue closes when every worker has stopped.
                if work.send((sequence, next)).is_err() || failed {
                    return;
                }
                sequence += 1;
            }
        });
        for mut tasks in forks {
            let (queue, done, give_back) = (Arc::clone(&queue), done.clone(), give_back.clone());
            scope.spawn(move || loop {
                // A poisoned lock means another worker panicked: stop taking work.
                let Ok(Ok((sequence, batch))) = queue.lock().map(|q| q.recv()) else { return };
                let converted = match batch {
                    Ok(batch) => {
                        let converted = convert(&batch, &mut tasks, file, fold);
                        // When the splitter has enough or has stopped, the bytes are freed here.
                        let _ = give_back.try_send(batch.bytes);
                        converted
                    }
                    Err(error) => Converted {
                        part: fold.part(),
                        records: 0,
                        diagnostics: Diagnostics::default(),
                        error: Some(error),
                    },
                };
                // The results close when the caller stopped at an error.
                if done.send((sequence, converted)).is_err() {
                    return;
                }
            });
        }
        drop((done, queue, give_back));
        hand_on_in_order(finished, state, sink)
    })
}

/// One batch's tasks parsed and converted, up to the first error, their records gathered.
fn convert<F: RecordFold>(
    batch: &Batch,
    tasks: &mut super::task::TaskReader<'_>,
    file: &str,
    fold: &F,
) -> Converted<F::Part> {
    let mut part = fold.part();
    let mut records = 0;
    let mut error = None;
    for element in &batch.elements {
        let converted = parse_element(batch, element, file).and_then(|value| {
            entry(tasks, &value, &Path::ROOT.index(element.index), element.index, &mut |record| {
                records += 1;
                fold.add(&mut part, record);
            })
        });
        if let Err(e) = converted {
            error = Some(e);
            break;
        }
    }
    Converted { part, records, diagnostics: tasks.take_diagnostics(), error }
}

/// The batches' records and diagnostics, in list order, until the first error.
fn hand_on_in_order<P>(
    finished: Receiver<(usize, Converted<P>)>,
    state: &mut ReadState<'_>,
    sink: &mut dyn FnMut(P),
) -> Result<(), InputError> {
    let mut waiting: BTreeMap<usize, Converted<P>> = BTreeMap::new();
    let mut next = 0;
    for (sequence, converted) in finished {
        waiting.insert(sequence, converted);
        while let Some(converted) = waiting.remove(&next) {
            state.passed_on(converted.records);
            sink(converted.part);
            state.tasks.merge_diagnostics(converted.diagnostics);
            if let Some(error) = converted.error {
                return Err(error);
            }
            next += 1;
        }
    }
    Ok(())
}
