package scimx

import (
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// GroupSchema is the URN of the core Group schema.
const GroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"

// ExtensionSchema is the URN of the SCIM extension that exposes a group's
// local attributes: groupType and origin ("source" for pushed groups,
// "target" for groups created in the app). Both are read-only to SCIM
// clients.
const ExtensionSchema = "urn:ietf:params:scim:schemas:extension:groupsync:2.0:Group"

// groupSchema is the core Group schema with displayName declared caseExact:
// names compare byte for byte everywhere (R5).
func groupSchema() schema.Schema {
	s := schema.CoreGroupSchema()
	s.Attributes[0] = schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
		Description: optional.NewString("A human-readable name for the Group, compared byte for byte. REQUIRED."),
		Name:        "displayName",
		Required:    true,
		CaseExact:   true,
	}))
	return s
}

// extensionSchema declares the local attributes, both read-only.
func extensionSchema() schema.Schema {
	return schema.Schema{
		ID:          ExtensionSchema,
		Name:        optional.NewString("GroupsyncGroup"),
		Description: optional.NewString("Attributes the app keeps for a group; a push never changes them."),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Name:        "groupType",
				Description: optional.NewString("The app-local group type. New pushed groups get the app's default type."),
				Mutability:  schema.AttributeMutabilityReadOnly(),
			})),
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Name:            "origin",
				Description:     optional.NewString("Who created the group: source (a push) or target (the app)."),
				CanonicalValues: []string{"source", "target"},
				Mutability:      schema.AttributeMutabilityReadOnly(),
			})),
		},
	}
}
