package scimx

import "context"

// tenantKey is the context key of the request's tenant.
type tenantKey struct{}

// WithTenant returns a copy of ctx that carries tenant. [Authenticate] calls
// it with the tenant of the request's credentials; the Groups resource
// scopes every store operation to it (R16).
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// TenantFrom returns the tenant that [WithTenant] put into ctx, and whether
// there is one.
func TenantFrom(ctx context.Context) (string, bool) {
	tenant, ok := ctx.Value(tenantKey{}).(string)
	return tenant, ok
}
