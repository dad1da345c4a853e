package sync

import (
	"fmt"
	"strings"
)

// String renders p for people, the way terraform plan does: a summary line,
// one block per group that changes, then the findings. Long member lists are
// abbreviated.
func (p Plan) String() string {
	var b strings.Builder
	counts := map[Outcome]int{}
	blocked := blockers(p.Findings)
	for _, g := range p.Groups {
		o := g.outcome()
		if _, ok := blocked[[2]string{g.SourceID, g.Name}]; ok && len(g.Ops) == 0 && g.Base == nil {
			o = Blocked
		}
		counts[o]++
	}
	fmt.Fprintf(&b, "Plan: %d to create, %d to link, %d to update, %d to unlink, %d to delete, %d unchanged, %d blocked.",
		counts[Created], counts[Linked], counts[Updated], counts[Unlinked], counts[Deleted], counts[Unchanged], counts[Blocked])
	if p.Force {
		b.WriteString(" (force sync)")
	}
	b.WriteByte('\n')
	for _, g := range p.Groups {
		if len(g.Ops) > 0 {
			b.WriteByte('\n')
			g.render(&b, p.MaxMembersPerRequest)
		}
	}
	if len(p.Findings) > 0 {
		b.WriteString("\nFindings:\n")
		for _, f := range p.Findings {
			fmt.Fprintf(&b, "  ! %s\n", f.Error())
		}
	}
	return b.String()
}

func (g GroupPlan) render(b *strings.Builder, size int) {
	where := "source " + g.SourceID
	if g.TargetID != "" {
		where += ", target " + g.TargetID
	}
	var removed, added []string
	for _, op := range g.Ops {
		switch op.Kind {
		case OpCreate:
			fmt.Fprintf(b, "  + create %q (%s)\n", g.Name, where)
		case OpLink:
			how := "same externalId"
			if op.ByName {
				how = "exact name"
			}
			fmt.Fprintf(b, "  ~ link %q (%s) by %s\n", g.Name, where, how)
			if op.ExternalID != "" {
				fmt.Fprintf(b, "      ~ externalId -> %s\n", op.ExternalID)
			}
		case OpRename:
			if g.Ops[0].Kind == OpRename {
				fmt.Fprintf(b, "  ~ update %q (%s)\n", g.Name, where)
			}
			fmt.Fprintf(b, "      ~ name %q -> %q\n", op.From, op.Name)
		case OpRemoveMembers:
			removed = append(removed, op.Members...)
		case OpAddMembers:
			added = append(added, op.Members...)
		case OpUnlink:
			fmt.Fprintf(b, "  - unlink %q (%s); the target group stays\n", g.Name, where)
		case OpDelete:
			fmt.Fprintf(b, "  - delete %q (%s)\n", g.Name, where)
		}
	}
	if k := g.Ops[0].Kind; k == OpRemoveMembers || k == OpAddMembers {
		fmt.Fprintf(b, "  ~ update %q (%s)\n", g.Name, where)
	}
	if len(removed) > 0 {
		fmt.Fprintf(b, "      - %s: %s\n", plural(len(removed), "member"), abbreviate(removed, 10))
	}
	if len(added) > 0 {
		fmt.Fprintf(b, "      + %s: %s\n", plural(len(added), "member"), abbreviate(added, 10))
	}
	if n := len(pack(g.Ops, size)); n > 1 {
		fmt.Fprintf(b, "      (%d requests)\n", n)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
