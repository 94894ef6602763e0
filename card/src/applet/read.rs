//! READ BINARY of the current file, by offset.

use super::VirtualCard;
use crate::apdu::{Command, Response};
use crate::status::StatusWord;

impl VirtualCard {
    pub(super) fn read_binary(&mut self, command: &Command, secure: bool) -> Response {
        // P1 bit 8 set would mean a short EF identifier: not supported.
        if command.p1 & 0x80 != 0 {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        let (Some(le), true) = (command.le, command.data.is_empty()) else {
            return Response::status(StatusWord::WRONG_LENGTH);
        };
        let Some(file) = self.session.current else {
            return Response::status(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        if (file.needs_pace() && !secure) || (file.needs_pin() && !self.session.pin_verified) {
            return Response::status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let offset = usize::from(u16::from_be_bytes([command.p1, command.p2]));
        let bytes = self.file_bytes(file);
        let Some(rest) = bytes.get(offset..) else {
            return Response::status(StatusWord::WRONG_OFFSET);
        };
        if rest.len() >= le {
            Response::ok(&rest[..le])
        } else {
            Response {
                data: rest.to_vec(),
                sw: StatusWord::END_OF_FILE,
            }
        }
    }
}
