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
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	_ "golang.org/x/image/webp" // registers the WebP decoder with image.Decode
)

// Avatar limits. The avatar fill-in component hands over a cropped picture of a few hundred
// pixels; these leave room for a photo while bounding what decoding costs. Every limit is read
// from the file's headers before a single pixel is decoded.
const (
	MaxAvatarBytes = 2 << 20
	// MaxAvatarSide bounds each side: a 1024×1024 picture decodes to at most 8 MiB of pixels
	// (16-bit RGBA, which is accepted within this budget); decoding and re-encoding it was
	// measured at +16 MiB of heap and about half a second of one core.
	MaxAvatarSide = 1024
	MinAvatarSide = 16
	// MaxAvatarScans bounds a JPEG's scans (SOS markers). A decoder walks the whole picture once
	// per scan, so thousands of tiny scans are a CPU bomb; libjpeg's progressive script uses 10
	// and baseline files one per component.
	MaxAvatarScans = 32
)

// Decoding avatars is the one costly thing an upload does, so at most a few run at once (see
// Config.AvatarDecodes); an upload that finds them all taken waits up to
// AvatarDecodeWait, then gets ErrDecodeBusy and is told to retry after AvatarBusyRetryAfter.
const (
	AvatarDecodeWait     = time.Second
	AvatarBusyRetryAfter = 2 * time.Second
)

// ErrDecodeBusy means every avatar decode slot stayed taken for AvatarDecodeWait.
var ErrDecodeBusy = errors.New("every avatar decode slot is taken")

// defaultAvatarDecodes is half the cores, at least one and at most four: uploads never take
// every core, and at most four decodes' memory (about 16 MiB each at the size limit) is held.
func defaultAvatarDecodes() int { return min(4, max(1, runtime.GOMAXPROCS(0)/2)) }

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
// makes it the caller's avatar. Its URL starts with Config.PublicURL, never with anything the
// request said about the server (such as its Host header).
func (s *Service) SetAvatar(ctx context.Context, p Principal, data []byte) (UserInfo, error) {
	if s.avatarDir == "" {
		return UserInfo{}, ErrAvatarStorageUnset
	}
	name, err := s.storeAvatar(ctx, data)
	if err != nil {
		return UserInfo{}, err
	}
	url := s.publicURL + AvatarPathPrefix + name
	return s.UpdateProfile(ctx, p, nil, &url)
}

// DefaultAvatarHosts are WeChat's avatar hosts, where getUserInfo's avatarUrl points; the
// default of Config.AvatarHosts (AVATAR_HOSTS).
const DefaultAvatarHosts = "thirdwx.qlogo.cn,wx.qlogo.cn"

// avatarSource checks an avatar URL a client sent and returns it as stored. Only two kinds are
// taken: this server's own uploads (Config.PublicURL + /avatars/NAME, as the upload answered)
// and pictures on the avatar hosts (WeChat's), which are stored as https. So the console, which
// shows avatars to staff, never loads an image from a host a user picked (and its CSP allows no
// other).
func (s *Service) avatarSource(raw string) (string, error) {
	if len(raw) > MaxAvatarURLLen {
		return "", invalid("avatarUrl", "avatar URL is longer than %d characters", MaxAvatarURLLen)
	}
	if name, ok := strings.CutPrefix(raw, s.publicURL+AvatarPathPrefix); ok && avatarName.MatchString(name) {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.User == nil && u.Port() == "" &&
		slices.Contains(s.avatarHosts, strings.ToLower(u.Hostname())) {
		u.Scheme, u.Host = "https", strings.ToLower(u.Host) // WeChat serves them over https too
		return u.String(), nil
	}
	return "", invalidKey("avatarUrl", "input.avatarUrl_source", nil,
		"the avatar URL must be one this server's upload answered (%s%s…) or on %s", s.publicURL, AvatarPathPrefix, strings.Join(s.avatarHosts, ", "))
}

// AvatarOrigins are the origins avatar URLs may point at: this server's public URL (when set)
// and https on each avatar host. The console's CSP allows images from these alone.
func (s *Service) AvatarOrigins() []string {
	var origins []string
	if s.publicURL != "" {
		u, _ := url.Parse(s.publicURL) // checked in New
		origins = append(origins, u.Scheme+"://"+u.Host)
	}
	for _, h := range s.avatarHosts {
		origins = append(origins, "https://"+h)
	}
	return origins
}

// storeAvatar re-encodes the picture and writes it once per distinct content. The headers are
// checked first, by every upload at once; only the decode waits for a slot.
func (s *Service) storeAvatar(ctx context.Context, data []byte) (string, error) {
	format, err := checkAvatar(data)
	if err != nil {
		return "", err
	}
	release, err := s.decodeSlot(ctx)
	if err != nil {
		return "", err
	}
	clean, ext, err := reencodeAvatar(data, format)
	release()
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

// decodeSlot takes one of the avatar decode slots, waiting at most s.decodeWait; release gives
// it back.
func (s *Service) decodeSlot(ctx context.Context) (release func(), err error) {
	release = func() { <-s.decodes }
	select {
	case s.decodes <- struct{}{}:
		return release, nil
	default:
	}
	wait := time.NewTimer(s.decodeWait)
	defer wait.Stop()
	select {
	case s.decodes <- struct{}{}:
		return release, nil
	case <-wait.C:
		return nil, ErrDecodeBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// CleanAvatar checks data is a PNG, JPEG or WebP of sane size, by its content and not any
// name, and re-encodes its pixels, which drops EXIF, XMP, ICC, text chunks and anything
// appended. WebP comes out as PNG: Go has no WebP encoder. It returns the bytes and their
// file extension. It takes no decode slot; Service.SetAvatar does.
func CleanAvatar(data []byte) ([]byte, string, error) {
	format, err := checkAvatar(data)
	if err != nil {
		return nil, "", err
	}
	return reencodeAvatar(data, format)
}

// checkAvatar reads only headers: type, size and (for JPEG) the number of scans, so that what
// a decode will cost is known and bounded before it starts. It returns the image format.
func checkAvatar(data []byte) (string, error) {
	if len(data) > MaxAvatarBytes {
		return "", fmt.Errorf("%w: %d bytes, at most %d", ErrAvatarTooLarge, len(data), MaxAvatarBytes)
	}
	if len(data) == 0 {
		return "", invalid("file", "the avatar file is empty")
	}
	sniffed := http.DetectContentType(data)
	want := map[string]string{"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}[sniffed]
	if want == "" {
		return "", fmt.Errorf("%w: content looks like %s", ErrAvatarType, sniffed)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != want {
		return "", invalid("file", "the avatar is not a readable %s image", strings.ToUpper(want))
	}
	if cfg.Width < MinAvatarSide || cfg.Height < MinAvatarSide || cfg.Width > MaxAvatarSide || cfg.Height > MaxAvatarSide {
		return "", invalidKey("file", "input.file_pixels", map[string]any{"Min": MinAvatarSide, "Max": MaxAvatarSide},
			"the avatar is %d×%d pixels; each side must be %d to %d", cfg.Width, cfg.Height, MinAvatarSide, MaxAvatarSide)
	}
	if format == "jpeg" {
		if n := jpegScans(data, MaxAvatarScans+1); n > MaxAvatarScans {
			return "", invalidKey("file", "input.file_scans", map[string]any{"Max": MaxAvatarScans},
				"the avatar JPEG has more than %d scans", MaxAvatarScans)
		}
	}
	return format, nil
}

// jpegScans counts a JPEG's start-of-scan markers, stopping at stop. It walks the file as Go's
// decoder does, so that it never counts fewer scans than the decoder would run: marker segments
// are skipped by their length, each scan's entropy-coded data up to the next marker (0xFF not
// followed by 0x00 or a restart marker), and bytes where a marker should be are skipped to the
// next 0xFF, as the decoder tolerates them (a counter that gave up there was a way around it).
func jpegScans(data []byte, stop int) int {
	scans := 0
	i := 2 // after SOI
	for i+1 < len(data) && scans < stop {
		if data[i] != 0xFF { // extraneous data
			i++
			continue
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x00 || marker >= 0xD0 && marker <= 0xD7: // stuffed zero, stray restart
			i += 2
			continue
		case marker == 0xD9: // EOI: the decoder stops here
			return scans
		}
		if i+3 >= len(data) {
			return scans
		}
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
		if marker != 0xDA {
			continue
		}
		scans++
		for i+1 < len(data) && !(data[i] == 0xFF && data[i+1] != 0x00 && (data[i+1] < 0xD0 || data[i+1] > 0xD7)) {
			i++
		}
	}
	return scans
}

// reencodeAvatar decodes the checked picture and encodes its pixels again.
func reencodeAvatar(data []byte, format string) ([]byte, string, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", invalid("file", "the avatar %s image is damaged", strings.ToUpper(format))
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
