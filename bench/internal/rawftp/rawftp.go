// Package rawftp is the smallest FTP exchange the benchmark needs: login,
// optional AUTH TLS with PROT P, passive data connections and
// RETR/STOR/SIZE/DELE/MKD/RMD. It is the raw-TCP ceiling (the data path is
// a bare io.Copy between the data socket and the local file, so the kernel's
// splice and sendfile apply) and the driver's setup and clean-up tool.
package rawftp

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Conn is one control connection.
type Conn struct {
	nc      net.Conn
	r       *bufio.Reader
	host    string
	timeout time.Duration
	tlsConf *tls.Config // set by AuthTLS
	protP   bool
}

// ReplyError is a reply whose code was not the expected one.
type ReplyError struct {
	Cmd  string
	Code int
	Msg  string
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("%s: unexpected reply %q", e.Cmd, e.Msg)
}

// Dial connects to addr (host:port) and reads the 220 greeting. timeout is
// applied to every network operation on the control connection.
func Dial(addr string, timeout time.Duration) (*Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &Conn{nc: nc, r: bufio.NewReader(nc), host: host, timeout: timeout}
	if _, _, err := c.expect("greeting", 2); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the control connection without QUIT.
func (c *Conn) Close() error { return c.nc.Close() }

func (c *Conn) readReply() (int, string, error) {
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	var all strings.Builder
	first := ""
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return 0, all.String(), err
		}
		line = strings.TrimRight(line, "\r\n")
		all.WriteString(line)
		if first == "" {
			if len(line) < 3 {
				return 0, line, fmt.Errorf("short reply %q", line)
			}
			first = line[:3]
			if len(line) == 3 || line[3] != '-' {
				break
			}
			all.WriteByte('\n')
			continue
		}
		if len(line) >= 4 && line[:3] == first && line[3] == ' ' {
			break
		}
		all.WriteByte('\n')
	}
	code, err := strconv.Atoi(first)
	if err != nil {
		return 0, all.String(), fmt.Errorf("bad reply code %q", first)
	}
	return code, all.String(), nil
}

func (c *Conn) expect(cmd string, class int) (int, string, error) {
	code, msg, err := c.readReply()
	if err != nil {
		return code, msg, fmt.Errorf("%s: %w", cmd, err)
	}
	if code/100 != class {
		return code, msg, &ReplyError{Cmd: cmd, Code: code, Msg: msg}
	}
	return code, msg, nil
}

func (c *Conn) send(cmd string) error {
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	_, err := io.WriteString(c.nc, cmd+"\r\n")
	return err
}

// Cmd sends cmd and expects a reply of the given class (2 for 2xx).
func (c *Conn) Cmd(cmd string, class int) (int, string, error) {
	if err := c.send(cmd); err != nil {
		return 0, "", err
	}
	name := cmd
	if strings.HasPrefix(cmd, "PASS ") {
		name = "PASS"
	}
	return c.expect(name, class)
}

// Login sends USER and PASS, then TYPE I.
func (c *Conn) Login(user, pass string) error {
	code, _, err := c.Cmd("USER "+user, 3)
	if err != nil && code/100 != 2 {
		return err
	}
	if code/100 == 3 {
		if _, _, err := c.Cmd("PASS "+pass, 2); err != nil {
			return err
		}
	}
	_, _, err = c.Cmd("TYPE I", 2)
	return err
}

// AuthTLS sends AUTH TLS and wraps the control connection. conf is cloned;
// its ServerName defaults to the control host and a session cache is added
// so that data connections can resume the control session.
func (c *Conn) AuthTLS(conf *tls.Config) error {
	if _, _, err := c.Cmd("AUTH TLS", 2); err != nil {
		return err
	}
	conf = conf.Clone()
	if conf.ServerName == "" {
		conf.ServerName = c.host
	}
	if conf.ClientSessionCache == nil {
		conf.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	}
	tc := tls.Client(c.nc, conf)
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.nc = tc
	c.r = bufio.NewReader(tc)
	c.tlsConf = conf
	return nil
}

// ProtP sends PBSZ 0 and PROT P: data connections are then TLS.
func (c *Conn) ProtP() error {
	if _, _, err := c.Cmd("PBSZ 0", 2); err != nil {
		return err
	}
	if _, _, err := c.Cmd("PROT P", 2); err != nil {
		return err
	}
	c.protP = true
	return nil
}

// pasv sends PASV and connects to the announced port on the control host.
func (c *Conn) pasv() (net.Conn, error) {
	_, msg, err := c.Cmd("PASV", 2)
	if err != nil {
		return nil, err
	}
	open := strings.IndexByte(msg, '(')
	end := strings.IndexByte(msg, ')')
	if open < 0 || end < open {
		return nil, fmt.Errorf("PASV: cannot parse %q", msg)
	}
	f := strings.Split(msg[open+1:end], ",")
	if len(f) != 6 {
		return nil, fmt.Errorf("PASV: cannot parse %q", msg)
	}
	hi, err1 := strconv.Atoi(strings.TrimSpace(f[4]))
	lo, err2 := strconv.Atoi(strings.TrimSpace(f[5]))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("PASV: cannot parse %q", msg)
	}
	return net.DialTimeout("tcp", net.JoinHostPort(c.host, strconv.Itoa(hi<<8|lo)), c.timeout)
}

// transfer opens a passive data connection, sends cmd and reads the 1xx.
func (c *Conn) transfer(cmd string) (data net.Conn, raw net.Conn, err error) {
	raw, err = c.pasv()
	if err != nil {
		return nil, nil, err
	}
	if err := c.send(cmd); err != nil {
		raw.Close()
		return nil, nil, err
	}
	if _, _, err := c.expect(cmd, 1); err != nil {
		raw.Close()
		return nil, nil, err
	}
	// The data connection carries no deadline: a transfer may take long,
	// and the control deadline guards the replies.
	if c.protP {
		return tls.Client(raw, c.tlsConf), raw, nil
	}
	return raw, raw, nil
}

// Retr downloads name into dst with io.Copy straight from the data socket
// and reads the final reply.
func (c *Conn) Retr(name string, dst io.Writer) (int64, error) {
	data, _, err := c.transfer("RETR " + name)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(dst, data)
	data.Close()
	if err != nil {
		return n, err
	}
	_, _, err = c.expect("RETR end", 2)
	return n, err
}

// Stor uploads src as name with io.Copy straight into the data socket and
// reads the final reply. Over TLS the upload ends as ftplib's unwrap does:
// close_notify, then wait for the server's before closing.
func (c *Conn) Stor(name string, src io.Reader) (int64, error) {
	data, raw, err := c.transfer("STOR " + name)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(data, src)
	if err != nil {
		data.Close()
		return n, err
	}
	if tc, ok := data.(*tls.Conn); ok {
		if err := tc.CloseWrite(); err == nil {
			raw.SetReadDeadline(time.Now().Add(c.timeout))
			io.Copy(io.Discard, tc)
		}
	}
	data.Close()
	_, _, err = c.expect("STOR end", 2)
	return n, err
}

// Nlst returns the names NLST dir lists (as the server sends them: with
// or without the directory prefix).
func (c *Conn) Nlst(dir string) ([]string, error) {
	data, _, err := c.transfer("NLST " + dir)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(data)
	data.Close()
	if err != nil {
		return nil, err
	}
	if _, _, err := c.expect("NLST end", 2); err != nil {
		return nil, err
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			names = append(names, l)
		}
	}
	return names, nil
}

// Size returns the SIZE of name.
func (c *Conn) Size(name string) (int64, error) {
	_, msg, err := c.Cmd("SIZE "+name, 2)
	if err != nil {
		return -1, err
	}
	f := strings.Fields(msg)
	if len(f) < 2 {
		return -1, fmt.Errorf("SIZE: cannot parse %q", msg)
	}
	return strconv.ParseInt(f[1], 10, 64)
}

// Delete sends DELE name.
func (c *Conn) Delete(name string) error { _, _, err := c.Cmd("DELE "+name, 2); return err }

// Mkd sends MKD dir.
func (c *Conn) Mkd(dir string) error { _, _, err := c.Cmd("MKD "+dir, 2); return err }

// Rmd sends RMD dir.
func (c *Conn) Rmd(dir string) error { _, _, err := c.Cmd("RMD "+dir, 2); return err }

// Quit sends QUIT and closes the connection.
func (c *Conn) Quit() error {
	_, _, err := c.Cmd("QUIT", 2)
	c.nc.Close()
	return err
}
