//! Avatars: an uploaded image is decoded (only PNG, JPEG, GIF or WebP, within size limits that
//! stop decompression bombs), cropped to a centred square, scaled to [`AVATAR_SIZE`] and
//! re-encoded as PNG, which also drops any metadata it carried. Or an external `http(s)` URL.

use crate::error::{Error, Result};
use crate::field::Rule;
use crate::model::{AvatarImage, ClientInfo, User};
use crate::services::Services;
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Width and height of a stored avatar, in pixels.
pub const AVATAR_SIZE: u32 = 160;
/// Larger images are refused from their header, before anything is allocated: an avatar
/// needs 160 pixels, and a 4096-pixel square is already a 64 MiB picture.
const MAX_SIDE: u32 = 4096;
/// The decoder may allocate at most this much (one 4096-pixel RGBA square).
const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;
/// Length of an avatar's unguessable name.
const NAME_LEN: usize = 32;

/// What to set as a user's avatar.
#[derive(Debug, Clone)]
pub enum NewAvatar {
    Uploaded(AvatarImage),
    External(String),
}

fn not_an_image() -> Error {
    Error::invalid("file", Rule::Other("The file must be an image.".into()))
}

/// Decodes, crops, scales and re-encodes; CPU-bound, so callers run it off the async workers.
pub fn process(bytes: &[u8]) -> Result<Vec<u8>> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| not_an_image())?;
    let allowed = [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::WebP,
    ];
    if !reader.format().is_some_and(|f| allowed.contains(&f)) {
        return Err(not_an_image());
    }
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|_| not_an_image())?;
    let side = image.width().min(image.height());
    if side == 0 {
        return Err(not_an_image());
    }
    let square = image.crop_imm(
        (image.width() - side) / 2,
        (image.height() - side) / 2,
        side,
        side,
    );
    let scaled = square.resize_exact(
        AVATAR_SIZE,
        AVATAR_SIZE,
        image::imageops::FilterType::Triangle,
    );
    let mut out = Cursor::new(Vec::new());
    scaled
        .to_rgba8()
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| Error::Internal(format!("encoding an avatar: {e}")))?;
    Ok(out.into_inner())
}

/// An absolute `http(s)` URL with a host, as an external avatar must be.
pub fn valid_external_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && url.len() <= 2048
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

impl Services {
    /// The caller's own avatar from an uploaded image.
    pub async fn upload_own_avatar(
        &self,
        principal: &crate::model::Principal,
        bytes: Vec<u8>,
        client: &ClientInfo,
    ) -> Result<User> {
        self.authorize(principal, crate::authz::Action::UpdateProfile)
            .await?;
        self.upload_avatar(&principal.user, bytes, client).await
    }

    /// Removes the caller's own avatar.
    pub async fn remove_own_avatar(
        &self,
        principal: &crate::model::Principal,
        client: &ClientInfo,
    ) -> Result<User> {
        self.authorize(principal, crate::authz::Action::UpdateProfile)
            .await?;
        self.remove_avatar(&principal.user, client).await
    }

    /// The caller's own avatar from an external image.
    pub async fn set_own_external_avatar(
        &self,
        principal: &crate::model::Principal,
        url: &str,
        client: &ClientInfo,
    ) -> Result<User> {
        self.authorize(principal, crate::authz::Action::UpdateProfile)
            .await?;
        self.set_external_avatar(&principal.user, url, client).await
    }

    /// Processes an uploaded image and makes it the user's avatar, replacing (and deleting) an
    /// earlier upload.
    pub async fn upload_avatar(
        &self,
        user: &User,
        bytes: Vec<u8>,
        client: &ClientInfo,
    ) -> Result<User> {
        if bytes.is_empty() {
            return Err(Error::invalid(
                "file",
                Rule::Other("The file is required.".into()),
            ));
        }
        // As many decodes at once as the password pool has workers, each holding up to
        // MAX_DECODE_BYTES; one more is refused at once rather than queued, since a queue of
        // bombs is what an attacker would build.
        let Ok(permit) = std::sync::Arc::clone(&self.decoders).try_acquire_owned() else {
            return Err(Error::Overloaded {
                retry_after_seconds: 1,
            });
        };
        let png = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            process(&bytes)
        })
        .await
        .map_err(|e| Error::Internal(format!("avatar job failed: {e}")))??;
        let image = AvatarImage {
            name: crate::random::base62(NAME_LEN),
            content_type: "image/png".to_owned(),
            bytes: png,
        };
        self.set_avatar(user, NewAvatar::Uploaded(image), client)
            .await
    }

    /// Points the user's avatar at an external image.
    pub async fn set_external_avatar(
        &self,
        user: &User,
        url: &str,
        client: &ClientInfo,
    ) -> Result<User> {
        let url = url.trim();
        if !valid_external_url(url) {
            return Err(Error::invalid("url", Rule::Format));
        }
        self.set_avatar(user, NewAvatar::External(url.to_owned()), client)
            .await
    }

    /// Removes the user's avatar.
    pub async fn remove_avatar(&self, user: &User, client: &ClientInfo) -> Result<User> {
        let activity = self.activity(&user.tenant_id, Some(user), client, "Removed the avatar.");
        let updated = self
            .store
            .replace_avatar(user.id, None, None, &activity, self.now())
            .await?;
        self.principals.forget_user(user.id);
        Ok(updated)
    }

    async fn set_avatar(
        &self,
        user: &User,
        avatar: NewAvatar,
        client: &ClientInfo,
    ) -> Result<User> {
        let (url, image) = match avatar {
            NewAvatar::Uploaded(image) => (self.avatar_url(&image.name), Some(image)),
            NewAvatar::External(url) => (url, None),
        };
        let activity = self.activity(&user.tenant_id, Some(user), client, "Changed the avatar.");
        let updated = self
            .store
            .replace_avatar(user.id, Some(&url), image.as_ref(), &activity, self.now())
            .await?;
        self.principals.forget_user(user.id);
        Ok(updated)
    }

    /// Where an uploaded avatar is served.
    pub fn avatar_url(&self, name: &str) -> String {
        format!("{}/api/avatars/{name}", self.public_url)
    }

    /// A stored avatar by name, for serving.
    pub async fn avatar(&self, name: &str) -> Result<Option<AvatarImage>> {
        if name.len() != NAME_LEN || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        Ok(self.store.avatar(name).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut out, format)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn images_become_square_pngs_of_the_avatar_size() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Gif] {
            let png = process(&encoded(640, 320, format)).unwrap();
            let decoded = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
            assert_eq!(
                (decoded.width(), decoded.height()),
                (AVATAR_SIZE, AVATAR_SIZE)
            );
            // The centre square of a left-red, right-blue image is still half red, half blue.
            let rgb = decoded.to_rgb8();
            assert!(rgb.get_pixel(5, 80)[0] > 200, "{format:?}");
            assert!(rgb.get_pixel(155, 80)[2] > 200, "{format:?}");
        }
    }

    #[test]
    fn anything_else_is_not_an_image() {
        let bmp = b"BM6\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00";
        for bytes in [
            &b"GIF89a not really"[..],
            b"plain text",
            b"\x89PNG\r\n\x1a\n",
            bmp,
        ] {
            assert!(
                matches!(process(bytes), Err(Error::Invalid(_))),
                "{bytes:?}"
            );
        }
    }

    /// CRC-32 (IEEE), as PNG chunks carry it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG whose header claims `side` x `side` pixels, with a correct checksum.
    fn claiming(side: u32) -> Vec<u8> {
        let mut png = encoded(1, 1, ImageFormat::Png);
        png[16..20].copy_from_slice(&side.to_be_bytes());
        png[20..24].copy_from_slice(&side.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        // The header is valid and only its size is wrong: what stops it is the size limit.
        let limits = image::ImageReader::new(Cursor::new(claiming(100_000)))
            .with_guessed_format()
            .unwrap()
            .into_dimensions()
            .unwrap();
        assert_eq!(limits, (100_000, 100_000), "the header itself is readable");
        assert!(matches!(
            process(&claiming(100_000)),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn external_urls_must_be_absolute_http() {
        assert!(valid_external_url("https://s.gravatar.com/avatar/abc?s=80"));
        assert!(valid_external_url("http://localhost:8080/a.png"));
        for bad in [
            "ftp://x/a.png",
            "https://",
            "javascript:alert(1)",
            "/relative.png",
            "https://a b/c",
        ] {
            assert!(!valid_external_url(bad), "{bad}");
        }
    }
}
