//! ISO 7816-4 command and response APDUs: parsing and encoding, short and
//! extended lengths.
//!
//! Written here rather than taken from a crate: `iso7816` is shaped for card
//! firmware (fixed-capacity `heapless` buffers sized by a const generic, no
//! host-side encoder) and `apdu-core` only encodes. Both sides of this crate
//! (the virtual card parses, the client encodes) need the same rules, and the
//! four ISO cases fit in a page.
//!
//! ```text
//! case 1   CLA INS P1 P2
//! case 2S  CLA INS P1 P2 Le                 Le: 1 byte, 00 = 256
//! case 3S  CLA INS P1 P2 Lc data            Lc: 1 byte, 01..FF
//! case 4S  CLA INS P1 P2 Lc data Le
//! case 2E  CLA INS P1 P2 00 Le1 Le2         Le: 2 bytes, 0000 = 65536
//! case 3E  CLA INS P1 P2 00 Lc1 Lc2 data    Lc: 2 bytes, 0001..FFFF
//! case 4E  CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2
//! ```

use crate::status::StatusWord;

/// Largest `Le`: extended `00 00`.
pub const MAX_LE: usize = 65_536;
/// Largest data field: extended `Lc` `FF FF`.
pub const MAX_LC: usize = 65_535;

/// Why bytes are not a command APDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// Fewer than the four header bytes.
    #[error("an APDU has at least 4 bytes (CLA INS P1 P2)")]
    TooShort,
    /// The body's length does not match any ISO 7816-4 case.
    #[error("the APDU's body matches no ISO 7816-4 case")]
    BadLength,
    /// A command to encode has more than 65,535 data bytes or asks for more
    /// than 65,536 bytes.
    #[error("data or Le too long for an APDU")]
    TooLong,
    /// A response shorter than its status word.
    #[error("a response APDU has at least 2 bytes (SW1 SW2)")]
    ResponseTooShort,
}

/// A command APDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// First parameter.
    pub p1: u8,
    /// Second parameter.
    pub p2: u8,
    /// Command data (empty when there is no `Lc`).
    pub data: Vec<u8>,
    /// Expected response length, 1 to 65,536; `None` when there is no `Le`.
    pub le: Option<usize>,
    /// Whether the lengths are (or are to be) encoded in extended form.
    pub extended: bool,
}

impl Command {
    /// A case 1 command (no data, no `Le`).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
            extended: false,
        }
    }

    /// With a data field.
    #[must_use]
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// With an expected length (`256` is short `Le` `00`).
    #[must_use]
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// Forces the extended form even when the lengths fit the short one.
    #[must_use]
    pub fn extended(mut self) -> Self {
        self.extended = true;
        self
    }

    /// Parses a command APDU (every ISO 7816-4 case, short and extended).
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let [cla, ins, p1, p2, body @ ..] = bytes else {
            return Err(ApduError::TooShort);
        };
        let mut command = Self::new(*cla, *ins, *p1, *p2);
        match body {
            [] => {}
            [le] => command.le = Some(short_le(*le)),
            [0, rest @ ..] if rest.len() >= 2 => {
                command.extended = true;
                let (lc_or_le, rest) = rest.split_at(2);
                let n = usize::from(u16::from_be_bytes([lc_or_le[0], lc_or_le[1]]));
                if rest.is_empty() {
                    command.le = Some(extended_le(n));
                } else if n == 0 {
                    return Err(ApduError::BadLength);
                } else if rest.len() == n {
                    command.data = rest.to_vec();
                } else if rest.len() == n + 2 {
                    let (data, le) = rest.split_at(n);
                    command.data = data.to_vec();
                    command.le = Some(extended_le(usize::from(u16::from_be_bytes([le[0], le[1]]))));
                } else {
                    return Err(ApduError::BadLength);
                }
            }
            [0, ..] => return Err(ApduError::BadLength),
            [lc, rest @ ..] => {
                let n = usize::from(*lc);
                if rest.len() == n {
                    command.data = rest.to_vec();
                } else if rest.len() == n + 1 {
                    command.data = rest[..n].to_vec();
                    command.le = Some(short_le(rest[n]));
                } else {
                    return Err(ApduError::BadLength);
                }
            }
        }
        Ok(command)
    }

    /// Encodes the command: short form when the data fits in 255 bytes and
    /// `Le` in 256 (unless [`Command::extended`] was asked), extended otherwise.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        let le = self.le.unwrap_or(0);
        if self.data.len() > MAX_LC || le > MAX_LE || self.le == Some(0) {
            return Err(ApduError::TooLong);
        }
        let extended = self.extended || self.data.len() > 255 || le > 256;
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 2);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if extended {
            if !self.data.is_empty() {
                out.push(0);
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                if self.data.is_empty() {
                    out.push(0);
                }
                // 65,536 is encoded 00 00.
                out.extend_from_slice(&((le % MAX_LE) as u16).to_be_bytes());
            }
        } else {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                // 256 is encoded 00.
                out.push((le % 256) as u8);
            }
        }
        Ok(out)
    }
}

fn short_le(byte: u8) -> usize {
    if byte == 0 { 256 } else { usize::from(byte) }
}

fn extended_le(n: usize) -> usize {
    if n == 0 { MAX_LE } else { n }
}

/// A response APDU: data then the status word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Response data (may be empty).
    pub data: Vec<u8>,
    /// Status word.
    pub sw: StatusWord,
}

impl Response {
    /// A response with data and `90 00`.
    pub fn ok(data: impl Into<Vec<u8>>) -> Self {
        Self {
            data: data.into(),
            sw: StatusWord::OK,
        }
    }

    /// A response with no data.
    pub fn status(sw: StatusWord) -> Self {
        Self {
            data: Vec::new(),
            sw,
        }
    }

    /// Parses `data || SW1 SW2`.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let [data @ .., sw1, sw2] = bytes else {
            return Err(ApduError::ResponseTooShort);
        };
        Ok(Self {
            data: data.to_vec(),
            sw: StatusWord(u16::from_be_bytes([*sw1, *sw2])),
        })
    }

    /// Encodes `data || SW1 SW2`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}

#[cfg(test)]
mod tests;
