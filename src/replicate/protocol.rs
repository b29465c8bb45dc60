//! The messages of `/pandafest/sync/1` and their wire form (see
//! `docs/sync.md`): one request and one response per stream, each a
//! 4-byte big-endian length and that many bytes of CBOR, at most
//! [`MAX_MESSAGE`] bytes.

use std::io;

use futures::prelude::*;
use serde::{Deserialize, Serialize};

/// The protocol name, negotiated per stream.
pub const PROTOCOL: &str = "/pandafest/sync/1";

/// The largest message (request or response) in bytes, without its
/// 4-byte length. A longer one is refused before it is read.
pub const MAX_MESSAGE: usize = 4 << 20;

/// The most entries (and fork proofs) one page carries.
pub const PAGE_ENTRIES: usize = 1000;

/// The page is closed once its entries and payloads reach this many bytes
/// (an entry is at most 226 bytes and a payload at most 64 KiB, so a page
/// stays well under [`MAX_MESSAGE`]).
pub const PAGE_BYTES: usize = 2 << 20;

/// The most logs one list of heights names, and the most festivals a
/// `Festivals` answer lists.
pub const MAX_LOGS: usize = 20_000;

/// A request: what one peer asks of another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Which festivals do you hold? (asked by a directory that holds none,
    /// or none it was told to sync).
    Festivals,
    /// Here are my heights of `festival` (with its nested festivals):
    /// send me what I lack.
    Sync {
        /// The festival's document id.
        #[serde(with = "serde_bytes")]
        festival: [u8; 32],
        /// The asker's heights of every log of the festival it holds.
        heights: Vec<LogHeight>,
    },
}

/// A response to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// The root festivals the answerer holds.
    Festivals(Vec<FestivalInfo>),
    /// One page of what the asker lacks.
    Page(Page),
    /// The answerer does not serve this request; `reason` says why (too
    /// many requests, a festival it does not hold).
    Refused {
        /// Why, for the asker's log.
        reason: String,
    },
    /// The answerer does not sync the festival asked about: it holds it
    /// not, or it is a node limited to another (`--festival`). Nothing is
    /// exchanged; this is no fault of either side.
    Declined {
        /// Why, for people (at most 200 bytes are shown).
        reason: String,
    },
}

/// A festival a peer holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FestivalInfo {
    /// Its document id.
    #[serde(with = "serde_bytes")]
    pub id: [u8; 32],
    /// Its name, for people (at most 200 bytes are shown).
    pub name: String,
}

/// One log's height: author → log id → seq num, with the fork proof the
/// side holds for it, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHeight {
    /// The author's public key.
    #[serde(with = "serde_bytes")]
    pub author: [u8; 32],
    /// The log id.
    pub log_id: u64,
    /// The highest seq num of the log's trusted run (0: none).
    pub seq_num: u64,
    /// BLAKE3 of the side's fork proof for this log (its two entries, one
    /// after the other), when it holds one.
    #[serde(default, with = "serde_bytes")]
    pub fork: Option<[u8; 32]>,
}

/// A page of entries: what the asker lacks, log by log in seq order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The answerer's heights of the festival (every log it would serve).
    pub heights: Vec<LogHeight>,
    /// Entries with their payloads, in seq order within each log; a log's
    /// first entry comes before the logs that depend on it (a nested
    /// festival's log before its resources and events).
    pub entries: Vec<WireEntry>,
    /// Fork proofs the asker lacks.
    pub proofs: Vec<WireProof>,
    /// Whether the answerer has more: ask again with the new heights.
    pub more: bool,
}

/// An entry as it travels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEntry {
    /// The encoded Bamboo entry.
    #[serde(with = "serde_bytes")]
    pub entry: Vec<u8>,
    /// Its payload (an encoded operation).
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

/// A fork proof as it travels: two entries that cannot both belong to
/// one log (see `docs/bundle.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireProof {
    /// The first entry.
    #[serde(with = "serde_bytes")]
    pub first: Vec<u8>,
    /// The entry that contradicts it.
    #[serde(with = "serde_bytes")]
    pub second: Vec<u8>,
}

/// Encodes a message as its wire bytes: the 4-byte big-endian length,
/// then CBOR.
///
/// Errors: [`io::ErrorKind::InvalidInput`] if it is over [`MAX_MESSAGE`].
pub fn encode<T: Serialize>(message: &T) -> io::Result<Vec<u8>> {
    let mut out = vec![0; 4];
    ciborium::into_writer(message, &mut out).map_err(io::Error::other)?;
    let len = out.len() - 4;
    if len > MAX_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("message of {len} bytes is over the limit of {MAX_MESSAGE} bytes"),
        ));
    }
    out[..4].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(out)
}

/// Decodes the CBOR of one message (without its length).
///
/// Errors: [`io::ErrorKind::InvalidData`] naming what is wrong.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> io::Result<T> {
    ciborium::from_reader(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a {what} of {PROTOCOL}: {e}"),
        )
    })
}

/// Reads one message: its length, refused over [`MAX_MESSAGE`] before
/// anything more is read, then its bytes.
///
/// Errors: [`io::ErrorKind::InvalidData`] for a message over the limit or
/// one that does not decode; I/O errors as they come.
pub async fn read_message<T, R>(io: &mut R, what: &str) -> io::Result<T>
where
    T: for<'de> Deserialize<'de>,
    R: AsyncRead + Unpin + Send,
{
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} of {len} bytes is over the limit of {MAX_MESSAGE} bytes"),
        ));
    }
    let mut buf = vec![0; len];
    io.read_exact(&mut buf).await?;
    decode(&buf, what)
}

/// The request-response codec of `/pandafest/sync/1`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncCodec;

impl libp2p::request_response::Codec for SyncCodec {
    type Protocol = libp2p::StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T>(&mut self, _: &Self::Protocol, io: &mut T) -> io::Result<Request>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_message(io, "request").await
    }

    async fn read_response<T>(&mut self, _: &Self::Protocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_message(io, "response").await
    }

    async fn write_request<T>(
        &mut self,
        _: &Self::Protocol,
        io: &mut T,
        request: Request,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&encode(&request)?).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &Self::Protocol,
        io: &mut T,
        response: Response,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&encode(&response)?).await?;
        io.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let request = Request::Sync {
            festival: [7; 32],
            heights: vec![LogHeight {
                author: [1; 32],
                log_id: 3,
                seq_num: 9,
                fork: Some([2; 32]),
            }],
        };
        let bytes = encode(&request).unwrap();
        assert_eq!(
            u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize,
            bytes.len() - 4
        );
        let back: Request = decode(&bytes[4..], "request").unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn refuses_a_message_over_the_limit_before_reading_it() {
        let mut wire = ((MAX_MESSAGE + 1) as u32).to_be_bytes().to_vec();
        wire.extend([0; 16]);
        let error = futures::executor::block_on(read_message::<Request, _>(
            &mut futures::io::Cursor::new(wire),
            "request",
        ))
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "request of {} bytes is over the limit of 4194304 bytes",
                MAX_MESSAGE + 1
            )
        );
    }

    #[test]
    fn garbage_is_not_a_message() {
        let error = decode::<Response>(b"\xff\x00garbage", "response").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("not a response of /pandafest/sync/1:"),
            "{error}"
        );
    }
}
