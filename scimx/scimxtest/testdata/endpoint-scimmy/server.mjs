// A SCIM Groups service built with SCIMMY and SCIMMY Routers, as their
// READMEs show it: groups in memory, one map per bearer token.
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import {randomUUID} from "node:crypto";

const tenants = new Map(process.argv.slice(2).map(token => [token, new Map()]));
const notFound = (id) => new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);

SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, instance, {groups}) => {
        const now = new Date().toISOString();
        const data = JSON.parse(JSON.stringify(instance));
        if (resource.id) {
            const old = groups.get(resource.id);
            if (!old) throw notFound(resource.id);
            const group = {...data, id: old.id, meta: {created: old.meta.created, lastModified: now}};
            groups.set(old.id, group);
            return group;
        }
        const group = {...data, id: randomUUID(), meta: {created: now, lastModified: now}};
        groups.set(group.id, group);
        return group;
    })
    .egress((resource, {groups}) => {
        if (resource.id) {
            if (!groups.has(resource.id)) throw notFound(resource.id);
            return groups.get(resource.id);
        }
        const all = [...groups.values()];
        return resource.filter ? resource.filter.match(all) : all;
    })
    .degress((resource, {groups}) => {
        if (!groups.delete(resource.id)) throw notFound(resource.id);
    });

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        const token = request.header("Authorization")?.replace(/^Bearer /, "");
        if (!tenants.has(token)) throw new Error("Authorization failed");
        return token;
    },
    context: (request) => ({groups: tenants.get(request.header("Authorization").replace(/^Bearer /, ""))}),
}));
const server = app.listen(0, "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
