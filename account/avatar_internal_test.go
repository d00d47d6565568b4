package account

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"wxbind/account/avatartest"
)

// TestJPEGScans counts start-of-scan markers: one in a baseline file, one DC scan plus the AC
// scans in the generated progressive ones, and it stops counting at the limit asked.
func TestJPEGScans(t *testing.T) {
	var baseline bytes.Buffer
	jpeg.Encode(&baseline, image.NewRGBA(image.Rect(0, 0, 64, 64)), nil)
	// Go's decoder skips stray bytes where a marker should be, stuffed zeros and fill bytes
	// between segments; every scan behind them still runs, so every one must be counted.
	progressive := avatartest.ProgressiveJPEG(64, 48, 40)
	junk := bytes.ReplaceAll(progressive, []byte{0xFF, 0xDA}, []byte{0x12, 0xFF, 0x00, 0xFF, 0xFF, 0xD3, 0xFF, 0xDA})
	if img, _, err := image.Decode(bytes.NewReader(junk)); err != nil || img.Bounds().Dx() != 64 {
		t.Fatalf("the junk-laden JPEG must still decode, or the case proves nothing: %v", err)
	}
	for name, tc := range map[string]struct {
		file       []byte
		stop, want int
	}{
		"baseline":                {baseline.Bytes(), 100, 1},
		"junk before every scan":  {junk, 100, 41},
		"progressive, 20 AC":      {avatartest.ProgressiveJPEG(64, 48, 20), 100, 21},
		"4000 AC, stop at 33":     {avatartest.ProgressiveJPEG(256, 256, 4000), 33, 33},
		"truncated in a scan":     {avatartest.ProgressiveJPEG(1024, 1024, 5)[:1000], 100, 1},
		"not a JPEG after SOI":    {[]byte{0xFF, 0xD8, 'h', 'i'}, 100, 0},
		"segment length past end": {[]byte{0xFF, 0xD8, 0xFF, 0xDA, 0xFF, 0xFF}, 100, 1},
	} {
		if got := jpegScans(tc.file, tc.stop); got != tc.want {
			t.Errorf("%s: %d scans, want %d", name, got, tc.want)
		}
	}
}

// TestDecodeSlots: with every slot taken an upload waits its time and then is told the server
// is busy; a slot given back is taken at once; a request that ends stops the wait.
func TestDecodeSlots(t *testing.T) {
	u := &Service{decodes: make(chan struct{}, 1), decodeWait: 50 * time.Millisecond}
	release, err := u.decodeSlot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := u.decodeSlot(context.Background()); !errors.Is(err, ErrDecodeBusy) || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("all slots taken: want ErrDecodeBusy after the wait, got %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := u.decodeSlot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended request: want context.Canceled, got %v", err)
	}
	u.decodeWait = 10 * time.Second // long enough that a loaded machine still gives the slot back in time
	go func() { time.Sleep(10 * time.Millisecond); release() }()
	again, err := u.decodeSlot(context.Background())
	if err != nil {
		t.Fatalf("a slot given back during the wait: %v", err)
	}
	again()
	if len(u.decodes) != 0 {
		t.Fatalf("%d slots still taken", len(u.decodes))
	}
}
