package account

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	_ "golang.org/x/image/webp" // registers the WebP decoder with image.Decode
)

// Avatar limits. The avatar fill-in component hands over a cropped picture of a few hundred
// pixels; these leave room for a photo while bounding what decoding costs.
const (
	MaxAvatarBytes = 2 << 20
	MaxAvatarSide  = 4096
	MinAvatarSide  = 16
)

// AvatarPathPrefix is where avatars are served.
const AvatarPathPrefix = "/avatars/"

// avatarName is a stored avatar's file name: the SHA-256 of its bytes and its type.
var avatarName = regexp.MustCompile(`^[0-9a-f]{64}\.(png|jpg)$`)

func prepareAvatarDir(dataDir string) (string, error) {
	dir := filepath.Join(dataDir, "avatars")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("creating the avatar folder: %w", err)
	}
	return dir, nil
}

// SetAvatar checks an uploaded picture, stores a metadata-free copy under its content hash and
// makes it the caller's avatar. publicBase is the server's public URL, e.g.
// https://api.example.com, that the avatar URL starts with.
func (s *Service) SetAvatar(ctx context.Context, p Principal, data []byte, publicBase string) (UserInfo, error) {
	if s.avatarDir == "" {
		return UserInfo{}, ErrAvatarStorageUnset
	}
	name, err := s.storeAvatar(data)
	if err != nil {
		return UserInfo{}, err
	}
	url := strings.TrimRight(publicBase, "/") + AvatarPathPrefix + name
	return s.UpdateProfile(ctx, p, nil, &url)
}

// storeAvatar re-encodes the picture and writes it once per distinct content.
func (s *Service) storeAvatar(data []byte) (string, error) {
	clean, ext, err := CleanAvatar(data)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(clean)
	name := hex.EncodeToString(sum[:]) + ext
	path := filepath.Join(s.avatarDir, name)
	if _, err := os.Stat(path); err == nil {
		return name, nil // the same picture is stored already
	}
	tmp, err := os.CreateTemp(s.avatarDir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("storing avatar: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(clean); err != nil {
		tmp.Close()
		return "", fmt.Errorf("storing avatar: %w", err)
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return "", fmt.Errorf("storing avatar: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("storing avatar: %w", err)
	}
	// Rename is atomic, so a reader never sees half a file and concurrent uploads of the same
	// picture end with the same bytes.
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("storing avatar: %w", err)
	}
	return name, nil
}

// CleanAvatar checks data is a PNG, JPEG or WebP of sane size, by its content and not any
// name, and re-encodes its pixels, which drops EXIF, XMP, ICC, text chunks and anything
// appended. WebP comes out as PNG: Go has no WebP encoder. It returns the bytes and their
// file extension.
func CleanAvatar(data []byte) ([]byte, string, error) {
	if len(data) > MaxAvatarBytes {
		return nil, "", fmt.Errorf("%w: %d bytes, at most %d", ErrAvatarTooLarge, len(data), MaxAvatarBytes)
	}
	if len(data) == 0 {
		return nil, "", invalid("file", "the avatar file is empty")
	}
	sniffed := http.DetectContentType(data)
	want := map[string]string{"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}[sniffed]
	if want == "" {
		return nil, "", fmt.Errorf("%w: content looks like %s", ErrAvatarType, sniffed)
	}
	// The header alone tells the size, before any pixel is decoded.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != want {
		return nil, "", invalid("file", "the avatar is not a readable %s image", strings.ToUpper(want))
	}
	if cfg.Width < MinAvatarSide || cfg.Height < MinAvatarSide || cfg.Width > MaxAvatarSide || cfg.Height > MaxAvatarSide {
		return nil, "", invalid("file", "the avatar is %d×%d pixels; each side must be %d to %d", cfg.Width, cfg.Height, MinAvatarSide, MaxAvatarSide)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", invalid("file", "the avatar %s image is damaged", strings.ToUpper(want))
	}
	var out bytes.Buffer
	ext := ".png"
	if format == "jpeg" {
		ext = ".jpg"
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 90})
	} else {
		err = png.Encode(&out, img)
	}
	if err != nil {
		return nil, "", fmt.Errorf("re-encoding avatar: %w", err)
	}
	return out.Bytes(), ext, nil
}

// Avatar is a stored avatar opened for serving.
type Avatar struct {
	File        *os.File
	ContentType string
}

// ErrAvatarNotFound means no avatar has that name.
var ErrAvatarNotFound = errors.New("no such avatar")

// OpenAvatar opens a stored avatar by the name in its URL. Names are checked against the
// content-hash pattern first, so no path outside the avatar folder can be named.
func (s *Service) OpenAvatar(name string) (Avatar, error) {
	if s.avatarDir == "" || !avatarName.MatchString(name) {
		return Avatar{}, ErrAvatarNotFound
	}
	f, err := os.Open(filepath.Join(s.avatarDir, name))
	if err != nil {
		return Avatar{}, ErrAvatarNotFound
	}
	ct := "image/png"
	if strings.HasSuffix(name, ".jpg") {
		ct = "image/jpeg"
	}
	return Avatar{File: f, ContentType: ct}, nil
}
