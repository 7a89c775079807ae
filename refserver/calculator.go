package refserver

// The demonstration resource of the tutorial (shared/reference/000_0e8dee9e7ac23557.txt): a
// calculator exposed at the REST path /oauth2/calculate and guarded by a scope, plus the
// caller's calculation history at /oauth2/history under another scope.
//
//	GET  /oauth2/calculate?op=add&a=2&b=3
//	POST /oauth2/calculate   {"op":"add","a":2,"b":3}          (application/json)
//	POST /oauth2/calculate   op=add&a=2&b=3                    (application/x-www-form-urlencoded)
//	  -> 200 {"op":"add","a":2,"b":3,"result":5}
//	  op is add, subtract, multiply or divide. The operands may also come from the query of a
//	  POST (so a form body can carry just the access_token, RFC 6750 2.2); a parameter given
//	  in both the query and the body is refused. Division by zero is 400
//	  {"error":"division_by_zero",...}.
//	GET  /oauth2/history[?limit=N] -> 200 {"calculations":[...]}: the caller's own, newest first.
//
// Each operation is also the service calc.services:<op>, so a scope may open the calculator
// by path (GET or POST /oauth2/calculate), by service, by the folder calc.services or by the
// package that holds it. The seed's calc:write opens both methods of the path and the
// services; calc:read opens GET /oauth2/history.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Paths of the resource server.
const (
	PathCalculate = "/oauth2/calculate"
	PathHistory   = "/oauth2/history"
)

// CalculatorFolder is the folder of the calculator's services (calc.services:add, ...).
const CalculatorFolder = "calc.services"

var calcOps = map[string]func(a, b float64) float64{
	"add":      func(a, b float64) float64 { return a + b },
	"subtract": func(a, b float64) float64 { return a - b },
	"multiply": func(a, b float64) float64 { return a * b },
	"divide":   func(a, b float64) float64 { return a / b },
}

type calcInput struct {
	Op   string
	A, B float64
}

// calcError is a 4xx answer about the calculator's input (after the token was accepted).
type calcError struct {
	Status      int
	Code        string
	Description string
}

func (e *calcError) write(w http.ResponseWriter) {
	setNoStore(w)
	writeJSON(w, e.Status, map[string]string{"error": e.Code, "error_description": cleanDescription(e.Description)})
}

func badCalc(format string, args ...any) *calcError {
	return &calcError{Status: http.StatusBadRequest, Code: errInvalidRequest, Description: fmt.Sprintf(format, args...)}
}

func (s *Server) handleCalculate(w http.ResponseWriter, r *http.Request) {
	c, form, be := s.bearerCaller(r, http.MethodGet, http.MethodPost)
	if be != nil {
		writeBearerError(w, r, be)
		return
	}
	in, ce := readCalcInput(r, form)
	// The service is known before the input is fully valid when the op is: the scope and ACL
	// are checked first, so a caller without access learns nothing about its input.
	svc := ""
	if _, ok := calcOps[in.Op]; ok {
		svc = CalculatorFolder + ":" + in.Op
	}
	if !s.allowAccess(w, r, c, store.ResourceRequest{Method: r.Method, Path: r.URL.Path, Service: svc}) {
		return
	}
	if ce != nil {
		ce.write(w)
		return
	}
	if in.Op == "divide" && in.B == 0 {
		(&calcError{Status: http.StatusBadRequest, Code: "division_by_zero", Description: "division by zero: b must not be 0"}).write(w)
		return
	}
	result := calcOps[in.Op](in.A, in.B)
	if math.IsInf(result, 0) || math.IsNaN(result) {
		(&calcError{Status: http.StatusBadRequest, Code: "result_out_of_range", Description: "the result is too large for a 64-bit float"}).write(w)
		return
	}
	calc := &store.Calculation{Principal: c.Principal, ClientID: c.ClientID, Op: in.Op, A: in.A, B: in.B, Result: result}
	if err := s.store.AddCalculation(r.Context(), calc); err != nil {
		writeOAuthError(w, r, serverError(err))
		return
	}
	setNoStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"op": in.Op, "a": in.A, "b": in.B, "result": result})
}

// readCalcInput gathers op, a and b from the query and, for a POST, from a JSON or form body.
// It returns what it could read even with an error, so that the op can name the service.
func readCalcInput(r *http.Request, form url.Values) (calcInput, *calcError) {
	params := map[string]string{}
	var problems []string
	for k, v := range r.URL.Query() {
		if len(v) > 1 {
			problems = append(problems, "parameter "+safeName(k)+" is repeated")
		}
		params[k] = v[0]
	}
	if r.Method == http.MethodPost {
		body, ce := calcBody(r, form)
		if ce != nil {
			return calcInput{Op: params["op"]}, ce
		}
		for k, v := range body {
			if _, dup := params[k]; dup {
				problems = append(problems, "parameter "+safeName(k)+" is in both the query and the body")
			}
			params[k] = v
		}
	}
	in := calcInput{Op: params["op"]}
	if _, ok := calcOps[in.Op]; !ok {
		problems = append(problems, "op must be add, subtract, multiply or divide, got "+strconv.Quote(safeName(in.Op)))
	}
	for _, p := range []struct {
		name string
		dst  *float64
	}{{"a", &in.A}, {"b", &in.B}} {
		raw, ok := params[p.name]
		if !ok {
			problems = append(problems, p.name+" is required")
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			problems = append(problems, p.name+" must be a finite number, got "+strconv.Quote(safeName(raw)))
			continue
		}
		*p.dst = v
	}
	if len(problems) > 0 {
		return in, badCalc("%s", strings.Join(problems, "; "))
	}
	return in, nil
}

// calcBody reads the operands of a POST body: the form already read by bearerCaller, or JSON.
// Only op, a and b are operands; access_token and other form fields are ignored here.
func calcBody(r *http.Request, form url.Values) (map[string]string, *calcError) {
	out := map[string]string{}
	if form != nil {
		for _, k := range []string{"op", "a", "b"} {
			v, ok := form[k]
			if !ok {
				continue
			}
			if len(v) > 1 {
				return nil, badCalc("parameter %s is repeated in the body", k)
			}
			out[k] = v[0]
		}
		return out, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxResourceBody+1))
	if err != nil {
		return nil, badCalc("the request body could not be read")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return out, nil
	}
	if len(raw) > maxResourceBody {
		return nil, &calcError{Status: http.StatusRequestEntityTooLarge, Code: errInvalidRequest, Description: "the request body is larger than 64 KiB"}
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil, &calcError{Status: http.StatusUnsupportedMediaType, Code: errInvalidRequest,
			Description: "send the operands as application/json or application/x-www-form-urlencoded"}
	}
	var body struct {
		Op *string          `json:"op"`
		A  *json.RawMessage `json:"a"`
		B  *json.RawMessage `json:"b"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return nil, badCalc("the JSON body must be an object with op (a string), a and b (numbers): %v", err)
	}
	if dec.More() {
		return nil, badCalc("the JSON body must hold one object")
	}
	if body.Op != nil {
		out["op"] = *body.Op
	}
	for name, v := range map[string]*json.RawMessage{"a": body.A, "b": body.B} {
		if v == nil {
			continue
		}
		var f float64
		if err := json.Unmarshal(*v, &f); err != nil {
			return nil, badCalc("%s must be a JSON number, got %s", name, safeName(string(*v)))
		}
		out[name] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return out, nil
}

// handleHistory lists the caller's own calculations (read-only).
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	c, _, be := s.bearerCaller(r, http.MethodGet)
	if be != nil {
		writeBearerError(w, r, be)
		return
	}
	if !s.allowAccess(w, r, c, store.ResourceRequest{Method: r.Method, Path: r.URL.Path}) {
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			badCalc("limit must be a whole number from 1 to 1000").write(w)
			return
		}
		limit = n
	}
	list, err := s.store.ListCalculations(r.Context(), c.Principal, limit)
	if err != nil {
		writeOAuthError(w, r, serverError(err))
		return
	}
	setNoStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"calculations": list})
}

// calculatorStore is the calculator resource's history.
type calculatorStore interface {
	AddCalculation(ctx context.Context, c *store.Calculation) error
	ListCalculations(ctx context.Context, principal string, limit int) ([]store.Calculation, error)
}

var _ calculatorStore = (*store.Store)(nil)
