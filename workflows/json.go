package workflows

import "encoding/json"

// mustJSON encodes values the workflow built itself (never fails for them).
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
