/**
 * Teams: the caller's teams, a team's members and roles, and only the controls the caller's role allows
 * (roles.ts; the API still decides every write).
 */
import { useState } from "preact/hooks";
import { nextCursor, type Schemas } from "../../../client/index.ts";
import { api, ok } from "../api.ts";
import { grantable, may, mayManage, type Role } from "../roles.ts";
import { CardTable, ErrorLine, Field, Notice, Section, Select, useAction, useLoad, words } from "../components/ui.tsx";
import { useMe } from "../session.ts";

type Team = Schemas["Team"];
type Member = Schemas["TeamMember"];

export function Team() {
  const teams = useLoad(() => ok(api.GET("/api/teams", { params: { query: { page_size: 200 } } })), []);
  const [selected, setSelected] = useState<number | null>(null);
  const list = teams.data?.results ?? [];
  const team = list.find((t) => t.id === selected) ?? list[0] ?? null;
  return (
    <div class="view team">
      <div class="view-head">
        <h1>Team</h1>
        {list.length > 1 && (
          <Select
            label="Team"
            value={String(team?.id ?? "")}
            options={list.map((t) => ({ value: String(t.id), label: t.name }))}
            onValue={(v) => setSelected(v ? Number(v) : null)}
          />
        )}
      </div>
      <ErrorLine error={teams.error} />
      {teams.data && !team && <p class="muted">You are not in a team yet.</p>}
      {team && <TeamDetail key={team.id} team={team} onChanged={teams.reload} onGone={() => (setSelected(null), teams.reload())} />}
      <NewTeam onCreated={(t) => (setSelected(t.id), teams.reload())} />
    </div>
  );
}

function TeamDetail({ team, onChanged, onGone }: { team: Team; onChanged: () => void; onGone: () => void }) {
  const { user } = useMe();
  const members = useLoad(async () => {
    const all: Member[] = [];
    let cursor: string | undefined;
    do {
      const page = await ok(api.GET("/api/teams/{id}/members", { params: { path: { id: team.id }, query: { page_size: 200, ...(cursor ? { cursor } : {}) } } }));
      all.push(...page.results);
      cursor = nextCursor(page);
    } while (cursor);
    return all;
  }, [team.id]);
  const action = useAction();
  const mine = team.role;
  const path = (userId: number) => ({ params: { path: { id: team.id, user_id: userId } } });
  const change = (m: Member, role: Role) =>
    void action.run(async () => {
      const updated = await ok(api.PATCH("/api/teams/{id}/members/{user_id}", { ...path(m.user.id), body: { role } }));
      members.setData((list) => list?.map((x) => (x.user.id === m.user.id ? updated : x)));
    });
  const remove = (m: Member) =>
    void action.run(async () => {
      await ok(api.DELETE("/api/teams/{id}/members/{user_id}", path(m.user.id)));
      if (m.user.id === user.id) onGone();
      else members.setData((list) => list?.filter((x) => x.user.id !== m.user.id));
    });

  return (
    <>
      <Section title={team.name} actions={<span class={`badge role-${mine}`}>Your role: {words(mine)}</span>}>
        <p class="muted">
          Slug <code>{team.slug}</code>
        </p>
        <ErrorLine error={action.error ?? members.error} />
        {members.data && (
          <CardTable name="members" columns={["Member", "Role"]}>
            {members.data.map((m) => {
              const self = m.user.id === user.id;
              const manage = !self && mayManage(mine, m.role);
              return (
                <tr key={m.user.id} data-member={m.user.email}>
                  <td class="cell-title">
                    {m.user.name || m.user.email}
                    {m.user.name && <span class="muted"> {m.user.email}</span>}
                    {self && <span class="muted"> (you)</span>}
                  </td>
                  <td data-label={manage ? undefined : "Role"}>
                    {manage ? (
                      <RoleSelect label={`Role of ${m.user.email}`} value={m.role} options={grantable(mine)} onValue={(r) => change(m, r)} />
                    ) : (
                      words(m.role)
                    )}
                  </td>
                  <td class="cell-actions">
                    {manage && (
                      <button type="button" class="ghost small danger-text" onClick={() => remove(m)} aria-label={`Remove ${m.user.email}`}>
                        Remove
                      </button>
                    )}
                    {self && (
                      <button type="button" class="ghost small" onClick={() => remove(m)}>
                        Leave team
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </CardTable>
        )}
      </Section>
      {may(mine, "manageMembers") && <AddMember team={team} roles={grantable(mine)} onAdded={(m) => members.setData((list) => [...(list ?? []), m])} />}
      {may(mine, "own") && <OwnerControls team={team} onChanged={onChanged} onGone={onGone} />}
    </>
  );
}

function RoleSelect({ label, value, options, onValue }: { label: string; value: Role; options: readonly Role[]; onValue: (r: Role) => void }) {
  return (
    <label class="inline-select">
      <span class="sr-only">{label}</span>
      <select value={value} onChange={(e) => onValue(e.currentTarget.value as Role)}>
        {/* The current role stays listed even when the caller may not grant it. */}
        {(options.includes(value) ? options : [value, ...options]).map((r) => (
          <option key={r} value={r}>
            {words(r)}
          </option>
        ))}
      </select>
    </label>
  );
}

function AddMember({ team, roles, onAdded }: { team: Team; roles: Role[]; onAdded: (m: Member) => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("MEMBER");
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      onAdded(await ok(api.POST("/api/teams/{id}/members", { params: { path: { id: team.id } }, body: { email, role } })));
      setEmail("");
    });
  };
  return (
    <Section title="Add a member">
      <form class="filters" onSubmit={submit}>
        <Field label="Email" type="email" required value={email} onValue={setEmail} />
        <Select label="Role" value={role} options={roles} onValue={(v) => v && setRole(v)} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Add member
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
    </Section>
  );
}

function OwnerControls({ team, onChanged, onGone }: { team: Team; onChanged: () => void; onGone: () => void }) {
  const [name, setName] = useState(team.name);
  const [confirm, setConfirm] = useState("");
  const { busy, error, run } = useAction();
  return (
    <Section title="Owner settings">
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => (await ok(api.PATCH("/api/teams/{id}", { params: { path: { id: team.id } }, body: { name } })), onChanged()));
        }}
      >
        <Field label="Team name" required maxLength={100} value={name} onValue={setName} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Rename
          </button>
        </div>
      </form>
      <form
        class="filters danger-zone"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => (await ok(api.DELETE("/api/teams/{id}", { params: { path: { id: team.id } } })), onGone()));
        }}
      >
        <Field
          label={`Type “${team.slug}” to delete the team`}
          value={confirm}
          onValue={setConfirm}
          hint="Deletes its tasks, sessions, reports, insights and imports too."
        />
        <div class="actions">
          <button type="submit" class="danger" disabled={busy || confirm !== team.slug}>
            Delete team
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
    </Section>
  );
}

function NewTeam({ onCreated }: { onCreated: (t: Team) => void }) {
  const [name, setName] = useState("");
  const { busy, error, run } = useAction();
  const [created, setCreated] = useState<Team | null>(null);
  return (
    <Section title="Create a team">
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const t = await ok(api.POST("/api/teams", { body: { name } }));
            setCreated(t);
            setName("");
            onCreated(t);
          });
        }}
      >
        <Field label="Name" required maxLength={100} value={name} onValue={setName} placeholder="Acme Platform" />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Create team
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
      {created && <Notice>Created {created.name}: you are its owner.</Notice>}
    </Section>
  );
}
