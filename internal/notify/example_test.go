package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/certsync/certsync/internal/notify"
	"github.com/certsync/certsync/internal/redact"
)

// How a command wires notifications: parse the setting once, make a
// Notifier per run, Add as conditions are found, Flush when the run ends.
func Example() {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p notify.Payload
		_ = json.Unmarshal(b, &p)
		fmt.Println(p.Text)
	}))
	defer hook.Close()

	urls, err := notify.ParseURLs(hook.URL + "/services/T0/B0/token")
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := notify.New(urls, notify.Options{RunID: "r1", Redactor: &redact.Redactor{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	n.Add(notify.ChangeFailedEvent("quantil/certificate/www", "update", errors.New("QUANTIL answered 500")))
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if e, ok := notify.ExpiryEvent("quantil/certificate/www", now.Add(10*24*time.Hour), now, 30*24*time.Hour); ok {
		n.Add(e)
	}
	if err := n.Flush(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// *certsync* run r1: 2 events (2 error)
	// • [error] change failed: update of quantil/certificate/www failed: QUANTIL answered 500
	// • [error] expiring soon: quantil/certificate/www expires in 10 days, on 2026-12-12
}
