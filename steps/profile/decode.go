package profile

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Decode reads a profile's YAML strictly: an unknown field, a value of the wrong kind or a bad
// duration is a problem naming its field path. It does not validate the values (see Validate),
// so a caller can complete the profile first (the runner fills in the embedded server's issuer).
func Decode(data []byte) (*Profile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("the profile is not valid YAML: %w", err)
	}
	p := &Profile{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Problems{fmt.Errorf("the profile is empty")}
	}
	var ps problems
	decodeValue(doc.Content[0], reflect.ValueOf(p).Elem(), "", &ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return p, nil
}

var durationType = reflect.TypeOf(time.Duration(0))

// decodeValue decodes n into v, reporting problems under path. yaml.v3's own strict mode
// (KnownFields) names line numbers and Go types, not the field a user has to fix, and stops
// at the first kind mismatch; this walker names "clients.public.redirect_uri" and goes on.
func decodeValue(n *yaml.Node, v reflect.Value, path string, ps *problems) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // leave the zero value: absent and null mean the same
	}
	if v.Type() == durationType {
		s, ok := scalar(n, path, "a duration such as \"10s\"", ps)
		if !ok {
			return
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			ps.add(path, "%q is not a duration (write e.g. \"10s\" or \"1m30s\")", s)
			return
		}
		v.SetInt(int64(d))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		decodeValue(n, elem.Elem(), path, ps)
		v.Set(elem)
	case reflect.Struct:
		decodeStruct(n, v, path, ps)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			ps.add(path, "expected a mapping of names to values, got %s", describe(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			kp := join(path, key)
			if seen[key] {
				ps.add(kp, "is given twice")
				continue
			}
			seen[key] = true
			elem := reflect.New(v.Type().Elem()).Elem()
			decodeValue(n.Content[i+1], elem, kp, ps)
			m.SetMapIndex(reflect.ValueOf(key), elem)
		}
		v.Set(m)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			ps.add(path, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			decodeValue(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), ps)
		}
		v.Set(s)
	case reflect.String:
		if s, ok := scalar(n, path, "a string", ps); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := scalar(n, path, "true or false", ps)
		if !ok {
			return
		}
		var b bool
		if n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			ps.add(path, "expected true or false, got %q", s)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		s, ok := scalar(n, path, "a whole number", ps)
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			ps.add(path, "expected a whole number, got %q", s)
			return
		}
		v.SetInt(i)
	default:
		// Only reachable if a field of an unsupported kind is added to the types.
		ps.add(path, "cannot be set from YAML (unsupported field kind %s)", v.Kind())
	}
}

func decodeStruct(n *yaml.Node, v reflect.Value, path string, ps *problems) {
	if n.Kind != yaml.MappingNode {
		ps.add(path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := map[string]int{}
	var names []string
	for i := 0; i < v.NumField(); i++ {
		tag := strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		names = append(names, tag)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		kp := join(path, key)
		idx, ok := fields[key]
		if !ok {
			ps.add(kp, "unknown field (known fields here: %s)", strings.Join(names, ", "))
			continue
		}
		if seen[key] {
			ps.add(kp, "is given twice")
			continue
		}
		seen[key] = true
		decodeValue(n.Content[i+1], v.Field(idx), kp, ps)
	}
}

// scalar returns n's text when n is a scalar, reporting a problem otherwise.
func scalar(n *yaml.Node, path, want string, ps *problems) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		ps.add(path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	return n.Value, true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected YAML node"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
