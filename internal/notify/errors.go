package notify

import (
	"errors"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// SendError is why an email was not sent. Code is the server's SMTP reply code
// when it gave one (0 for a server that could not be reached, a timeout, a TLS
// failure).
type SendError struct {
	Code int
	// Permanent errors will not go away by trying again: a 5xx reply such as a
	// refused recipient, or an address that is not one.
	Permanent bool
	Err       error
}

func (e *SendError) Error() string {
	msg := e.Err.Error()
	// go-mail prefixes what it was doing; the reply itself is what helps a reader.
	msg = strings.TrimPrefix(msg, "send failed: ")
	return msg
}

func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent says whether err is a failure that trying again later will not fix.
// Every other error (4xx replies, connection refused, timeouts, TLS trouble) is
// worth retrying.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// classify turns go-mail's and the SMTP conversation's errors into a SendError.
func classify(err error) *SendError {
	var (
		se *gomail.SendError
		tp *textproto.Error
	)
	switch {
	case errors.As(err, &se):
		code := se.ErrorCode()
		permanent := code >= 500
		if code == 0 {
			// Errors go-mail raised itself: a bad address or an unsupported message
			// will be the same next time; a broken connection may not.
			switch se.Reason {
			case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
				permanent = true
			}
		}
		return &SendError{Code: code, Permanent: permanent, Err: err}
	case errors.As(err, &tp):
		// e.g. a refused login: 535 is permanent for this configuration.
		return &SendError{Code: tp.Code, Permanent: tp.Code >= 500, Err: err}
	}
	return &SendError{Err: err}
}
