//! What a stored file is, judged by its first bytes (magic numbers) rather than by the
//! name or the type the sender claims. Used for call recordings and attachments.

/// How many leading bytes [`sniff`] needs to see.
pub const SNIFF_LEN: usize = 64;

/// The content type of a file from its first bytes, or `None` when kefu does not know
/// it (stored as `application/octet-stream`).
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    let kind = if at(0, b"RIFF") && at(8, b"WAVE") {
        "audio/wav"
    } else if at(0, b"ID3") || is_mpeg_audio_frame(head) {
        "audio/mpeg"
    } else if at(0, b"OggS") {
        "audio/ogg"
    } else if at(0, b"fLaC") {
        "audio/flac"
    } else if at(0, b"#!AMR") {
        "audio/amr"
    } else if at(4, b"ftypM4A") {
        "audio/mp4"
    } else if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        "audio/aiff"
    } else if at(0, b"%PDF-") {
        "application/pdf"
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if at(0, b"\xff\xd8\xff") {
        "image/jpeg"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "image/gif"
    } else if at(0, b"PK\x03\x04") {
        "application/zip"
    } else if at(4, b"ftyp") {
        "video/mp4"
    } else {
        return None;
    };
    Some(kind)
}

/// An MPEG audio frame header: 11 sync bits, a known version, layer and bitrate.
fn is_mpeg_audio_frame(head: &[u8]) -> bool {
    match head {
        [0xff, b1, b2, ..] => {
            let sync = b1 & 0xe0 == 0xe0;
            let version_ok = (b1 >> 3) & 0b11 != 0b01;
            let layer_ok = (b1 >> 1) & 0b11 != 0b00;
            let bitrate_ok = b2 >> 4 != 0b1111;
            sync && version_ok && layer_ok && bitrate_ok
        }
        _ => false,
    }
}

/// Whether a sniffed type is audio (a call recording must be).
pub fn is_audio(content_type: &str) -> bool {
    content_type.starts_with("audio/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_told_from_other_files() {
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0"), Some("audio/mpeg"));
        assert_eq!(sniff(&[0xff, 0xfb, 0x90, 0x64]), Some("audio/mpeg"));
        assert_eq!(sniff(b"OggS\0\x02"), Some("audio/ogg"));
        assert_eq!(sniff(b"#!AMR\n"), Some("audio/amr"));
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A "), Some("audio/mp4"));
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        // A JPEG starts 0xff 0xd8: not mistaken for an MPEG frame.
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff(b""), None);
        assert!(is_audio("audio/wav"));
        assert!(!is_audio("image/png"));
    }
}
